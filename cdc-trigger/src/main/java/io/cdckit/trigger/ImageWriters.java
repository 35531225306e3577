package io.cdckit.trigger;

import java.util.List;

/**
 * The statements of the trigger functions that write row images to the change log, in two kinds.
 * The plain writers ({@code audit_changes}, {@code audit_changes_insert}, ...) log every row as its
 * text ({@code NEW::text}): the fast path, untouched by the options below. The selecting writers
 * (the same names with {@code _selected}) serve tables with a row filter or columns left out;
 * {@code ensure_capture} gives them the table's row filter ({@code cdc.filter.*}, empty for none)
 * as their first argument and the columns {@code cdc.columns.*} leaves out as the rest: a row is
 * logged only when its old or new image matches the filter (the reader then applies PostgreSQL's
 * rule for rows moving in or out), and the columns left out are logged as NULL. The filter is SQL
 * from the source's configuration, evaluated with the rights of the capture's owner, like the
 * publication row filters it mirrors; it costs a dynamic statement per row (row flavour) or per
 * statement (statement flavour).
 */
final class ImageWriters {

    /** The suffix of the selecting writers' names. */
    static final String SELECTED = "_selected";

    /** The columns left out, as a jsonb object of NULLs (NULL when none), from the trigger's arguments. */
    private static final String MASK = "mask := (SELECT pg_catalog.jsonb_object_agg(a, NULL) "
            + "FROM pg_catalog.unnest(TG_ARGV[1:TG_NARGS]) a);";
    /** The row filter as SQL, {@code true} when there is none. */
    private static final String FILTER = "COALESCE(NULLIF(TG_ARGV[0], ''), 'true')";

    private final String log;

    /** @param schema the quoted schema of the change log */
    ImageWriters(String schema) {
        this.log = schema + ".change_log";
    }

    /** The text of row {@code row} with the columns of {@code mask} set to NULL ({@code mask} NULL: all kept). */
    private static String image(String row, String mask) {
        return "CASE WHEN " + mask + " IS NULL THEN " + row + "::pg_catalog.text ELSE pg_catalog.jsonb_populate_record("
                + row + ", " + mask + ")::pg_catalog.text END";
    }

    /** Row flavour: one log row per changed row. */
    String row() {
        return """
                INSERT INTO %s (relid, op, old_row, new_row)
                VALUES (TG_RELID, TG_OP::pg_catalog."char", OLD::pg_catalog.text, NEW::pg_catalog.text);""".formatted(log);
    }

    /** Row flavour, selecting: a row matching the filter on either side, without the columns left out. */
    String rowSelected() {
        return """
                keep := true;
                IF TG_ARGV[0] OPERATOR(pg_catalog.<>) '' THEN
                  EXECUTE 'SELECT EXISTS (SELECT FROM (SELECT ($1).*) t WHERE ' OPERATOR(pg_catalog.||) TG_ARGV[0]
                    OPERATOR(pg_catalog.||) ') OR EXISTS (SELECT FROM (SELECT ($2).*) t WHERE ' OPERATOR(pg_catalog.||) TG_ARGV[0]
                    OPERATOR(pg_catalog.||) ')' INTO keep USING OLD, NEW;
                END IF;
                IF keep THEN
                  %2$s
                  INSERT INTO %1$s (relid, op, old_row, new_row)
                  VALUES (TG_RELID, TG_OP::pg_catalog."char",
                    CASE WHEN TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN %3$s END,
                    CASE WHEN TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN %4$s END);
                END IF;""".formatted(log, MASK, image("OLD", "mask"), image("NEW", "mask"));
    }

    /** Statement flavour: the rows one INSERT inserted. */
    String inserted() {
        return """
                INSERT INTO %s (relid, op, new_row)
                SELECT TG_RELID, 'I', (t.*)::pg_catalog.text FROM new_rows t;""".formatted(log);
    }

    /** Statement flavour, selecting: the inserted rows matching the filter, without the columns left out. */
    String insertedSelected() {
        return selecting("INSERT INTO " + log + " (relid, op, new_row) SELECT $1, 'I', " + image("t", "$2")
                + " FROM new_rows t WHERE (", List.of(")"));
    }

    /** Statement flavour: the rows one DELETE deleted. */
    String deleted() {
        return """
                INSERT INTO %s (relid, op, old_row)
                SELECT TG_RELID, 'D', (t.*)::pg_catalog.text FROM old_rows t;""".formatted(log);
    }

    /** Statement flavour, selecting: the deleted rows matching the filter, without the columns left out. */
    String deletedSelected() {
        return selecting("INSERT INTO " + log + " (relid, op, old_row) SELECT $1, 'D', " + image("t", "$2")
                + " FROM old_rows t WHERE (", List.of(")"));
    }

    /**
     * Statement flavour: the rows one UPDATE updated, the i-th old row paired with the i-th new row
     * (both transition tables hold them in update order).
     */
    String updated() {
        return """
                INSERT INTO %s (relid, op, old_row, new_row)
                SELECT TG_RELID, 'U', o.r, w.r
                FROM (SELECT pg_catalog.row_number() OVER () AS i, (t.*)::pg_catalog.text AS r FROM old_rows t) o
                JOIN (SELECT pg_catalog.row_number() OVER () AS i, (t.*)::pg_catalog.text AS r FROM new_rows t) w
                  ON o.i OPERATOR(pg_catalog.=) w.i
                ORDER BY o.i;""".formatted(log);
    }

    /** Statement flavour, selecting: the updated pairs of which either side matches the filter. */
    String updatedSelected() {
        return selecting("INSERT INTO " + log + " (relid, op, old_row, new_row) SELECT $1, 'U', o.r, w.r FROM "
                        + "(SELECT pg_catalog.row_number() OVER () AS i, " + image("t", "$2")
                        + " AS r, COALESCE((", List.of("), false) AS m FROM old_rows t) o JOIN "
                        + "(SELECT pg_catalog.row_number() OVER () AS i, " + image("t", "$2") + " AS r, COALESCE((",
                "), false) AS m FROM new_rows t) w ON o.i OPERATOR(pg_catalog.=) w.i "
                        + "WHERE o.m OR w.m ORDER BY o.i"));
    }

    /** A dynamic insert: {@code head}, then the filter before each part of {@code tail}. */
    private static String selecting(String head, List<String> tail) {
        StringBuilder dynamic = new StringBuilder(InstallScript.literal(head));
        for (String part : tail) {
            dynamic.append(" OPERATOR(pg_catalog.||) ").append(FILTER).append(" OPERATOR(pg_catalog.||) ")
                    .append(InstallScript.literal(part));
        }
        return MASK + "\nEXECUTE " + dynamic + "\n  USING TG_RELID, mask;";
    }
}
