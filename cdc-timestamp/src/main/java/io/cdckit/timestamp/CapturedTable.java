package io.cdckit.timestamp;

import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One captured table, checked at start, and the SQL the reader runs on it. Identifiers are always
 * quoted and values always bound; positions travel as PostgreSQL's text form and are cast back
 * to the column types, so comparisons are exact.
 */
final class CapturedTable {

    private static final Logger LOG = LoggerFactory.getLogger(CapturedTable.class);
    private static final List<String> TIMESTAMP_TYPES = List.of("timestamptz", "timestamp");

    private final TableSchema schema;
    private final String ts;
    private final String tsType;
    private final List<String> keys;
    private final List<String> keyTypes;
    private final String deletedColumn;
    private final boolean deletedIsBoolean;
    private final String createdColumn;
    /** The row filter ({@code cdc.filter.*}) on the columns of alias {@code t}, or null. */
    private final String filter;
    private TableId shadow;

    private CapturedTable(TableSchema schema, String ts, String tsType, String deletedColumn,
                          boolean deletedIsBoolean, String createdColumn, String filter) {
        this.schema = schema;
        this.filter = filter;
        this.ts = ts;
        this.tsType = tsType;
        this.keys = schema.primaryKey();
        List<String> types = new ArrayList<>();
        for (String k : keys) {
            types.add(schema.column(k).type());
        }
        this.keyTypes = List.copyOf(types);
        this.deletedColumn = deletedColumn;
        this.deletedIsBoolean = deletedIsBoolean;
        this.createdColumn = createdColumn;
    }

    /**
     * Reads the table from the catalog and checks it: it exists and is readable, has a primary
     * key, and has the configured columns with suitable types. Warns when no index starts with
     * the timestamp column.
     *
     * @throws CdcException naming the problem and the fix
     */
    static CapturedTable load(Connection c, TableId id, TimestampSettings s) throws SQLException {
        TableSchema schema = TableSchema.load(c, id, s.keys()).requirePrimaryKey();
        TableSchema.Column tsColumn = requireTimestamp(schema, s.column(), "cdc.timestamp.column");
        if (!tsColumn.notNull()) {
            LOG.warn("{}.{} allows NULL: rows whose {} is NULL are never delivered. Consider ALTER TABLE {} ALTER "
                    + "COLUMN {} SET NOT NULL;", id, s.column(), s.column(), id.quoted(), TableId.quote(s.column()));
        }
        if (s.createdColumn() != null) {
            requireTimestamp(schema, s.createdColumn(), "cdc.timestamp.created-column");
        }
        boolean deletedIsBoolean = false;
        if (s.deletedColumn() != null) {
            TableSchema.Column d = schema.column(s.deletedColumn());
            if (d == null) {
                throw new CdcException("Table " + id + " has no column " + TableId.quote(s.deletedColumn())
                        + " (cdc.timestamp.deleted-column): add it, e.g. ALTER TABLE " + id.quoted() + " ADD COLUMN "
                        + TableId.quote(s.deletedColumn()) + " boolean NOT NULL DEFAULT false; or unset the key.");
            }
            if (!d.typeName().equals("bool") && !TIMESTAMP_TYPES.contains(d.typeName())) {
                throw new CdcException("Column " + TableId.quote(s.deletedColumn()) + " of " + id + " is " + d.type()
                        + ", but cdc.timestamp.deleted-column must be boolean (true = deleted) or timestamp/"
                        + "timestamptz (not null = deleted): point the key at such a column.");
            }
            deletedIsBoolean = d.typeName().equals("bool");
        }
        // columns not captured (cdc.columns.*) are never read
        schema = schema.only(s.columns().captured(schema));
        CapturedTable t = new CapturedTable(schema, s.column(), tsColumn.type(), s.deletedColumn(), deletedIsBoolean,
                s.createdColumn(), s.filters().of(id));
        t.warnWithoutIndex(c);
        return t;
    }

    private static TableSchema.Column requireTimestamp(TableSchema schema, String column, String key) {
        TableSchema.Column col = schema.column(column);
        TableId id = schema.id();
        if (col == null) {
            throw new CdcException("Table " + id + " has no column " + TableId.quote(column) + " (" + key + "): add "
                    + "it, e.g. ALTER TABLE " + id.quoted() + " ADD COLUMN " + TableId.quote(column)
                    + " timestamptz NOT NULL DEFAULT clock_timestamp(); or set " + key + " to an existing "
                    + "timestamptz column.");
        }
        if (!TIMESTAMP_TYPES.contains(col.typeName())) {
            throw new CdcException("Column " + TableId.quote(column) + " of " + id + " is " + col.type() + ", but " + key
                    + " must be timestamptz or timestamp: point it at such a column.");
        }
        return col;
    }

    private void warnWithoutIndex(Connection c) throws SQLException {
        String advice = indexAdvice(c);
        if (advice != null) {
            LOG.warn(advice);
        }
    }

    /**
     * Whether an index serves the poll's order, and what to do if none does: null when a valid,
     * whole-table btree index has (timestamp, primary key...) as its leading key columns, in that
     * order, with the columns' own collations, all ascending (or all descending, read backwards);
     * otherwise the warning, naming the indexes that start with the timestamp column (which do
     * not serve it) and the statement that creates the one wanted.
     *
     * <p>Without such an index a poll is not linear in the rows it returns: with no index on the
     * timestamp it reads the whole table, and with one on the timestamp alone (or not followed by
     * the key) it sorts every row sharing the page's timestamp, so a bulk load or mass update of
     * n rows with one timestamp costs n rows per page, n * n / page size in all.
     */
    String indexAdvice(Connection c) throws SQLException {
        List<String> leading = tsAndKeys();
        boolean fits = false;
        List<String> startingWithTs = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT pg_catalog.pg_get_indexdef(i.indexrelid) AS def,
                       i.indisvalid AND i.indisready AND i.indpred IS NULL AND am.amname = 'btree'
                         AND i.indnkeyatts >= pg_catalog.cardinality(CAST(? AS text[]))
                         AND i.indoption[0] IN (0, 3)
                         AND (SELECT count(*) = pg_catalog.cardinality(CAST(? AS text[]))
                                     AND pg_catalog.bool_and(i.indkey[w.n - 1] = a.attnum
                                                             AND i.indcollation[w.n - 1] = a.attcollation
                                                             AND i.indoption[w.n - 1] = i.indoption[0])
                              FROM pg_catalog.unnest(CAST(? AS text[])) WITH ORDINALITY AS w(col, n)
                              JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attname = w.col)
                         AS fits,
                       i.indkey[0] = (SELECT a.attnum FROM pg_catalog.pg_attribute a
                                      WHERE a.attrelid = i.indrelid AND a.attname = ?) AS starts_with_ts
                FROM pg_catalog.pg_index i
                JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                JOIN pg_catalog.pg_am am ON am.oid = ic.relam
                WHERE i.indrelid = CAST(? AS regclass)
                ORDER BY ic.relname""")) {
            String[] cols = leading.toArray(new String[0]);
            for (int i = 1; i <= 3; i++) {
                ps.setArray(i, c.createArrayOf("text", cols));
            }
            ps.setString(4, ts);
            ps.setString(5, id().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean("fits")) {
                        fits = true;
                    } else if (rs.getBoolean("starts_with_ts")) {
                        startingWithTs.add(rs.getString("def"));
                    }
                }
            }
        }
        if (fits) {
            return null;
        }
        String key = list(keys, "");
        if (startingWithTs.isEmpty()) {
            return "No index on " + id() + " starts with " + TableId.quote(ts) + ": every poll reads the whole table. "
                    + "Create the index polls want with: " + indexStatement();
        }
        return "No index on " + id() + " starts with (" + TableId.quote(ts) + ", " + key + "), the order polls read "
                + "in (not: " + String.join("; ", startingWithTs) + "): a poll sorts all the rows that share the "
                + "timestamp it stands at, so a bulk load or mass update of n rows with one timestamp costs n rows on "
                + "every page. Create the index polls want with: " + indexStatement();
    }

    /** The statement that creates the index polling wants: on (timestamp, primary key). */
    String indexStatement() {
        return "CREATE INDEX CONCURRENTLY ON " + id().quoted() + " (" + TableId.quote(ts) + ", " + list(keys, "") + ");";
    }

    TableId id() {
        return schema.id();
    }

    TableSchema schema() {
        return schema;
    }

    List<String> keyColumns() {
        return keys;
    }

    List<String> keyTypes() {
        return keyTypes;
    }

    boolean hasDeletedColumn() {
        return deletedColumn != null;
    }

    boolean hasCreatedColumn() {
        return createdColumn != null;
    }

    String timestampColumn() {
        return ts;
    }

    /** The table holding the keys seen, once prepared; null without key tracking. */
    TableId shadow() {
        return shadow;
    }

    void shadow(TableId shadow) {
        this.shadow = shadow;
    }

    // ---- SQL -------------------------------------------------------------------------------

    /** {@code t."a", t."b"} for a list of columns. */
    static String list(List<String> columns, String alias) {
        String prefix = alias.isEmpty() ? "" : alias + ".";
        return columns.stream().map(col -> prefix + TableId.quote(col)).collect(Collectors.joining(", "));
    }

    /** Row comparison {@code (t."a", t."b") op (?::ta, ?::tb)}, scalar for one column. */
    static String compare(List<String> columns, List<String> types, String alias, String op) {
        String left = list(columns, alias);
        String right = IntStream.range(0, columns.size()).mapToObj(i -> "?::" + types.get(i))
                .collect(Collectors.joining(", "));
        return columns.size() == 1 ? left + " " + op + " " + right : "(" + left + ") " + op + " (" + right + ")";
    }

    private List<String> tsAndKeys() {
        List<String> l = new ArrayList<>();
        l.add(ts);
        l.addAll(keys);
        return l;
    }

    private List<String> tsAndKeyTypes() {
        List<String> l = new ArrayList<>();
        l.add(tsType);
        l.addAll(keyTypes);
        return l;
    }

    /** The predicate of rows after {@code p}, or TRUE; binds what {@link #bindLower} binds. */
    String lowerPredicate(TablePosition p) {
        if (p.ts() == null) {
            return "TRUE";
        }
        if (p.key() == null) {
            return "t." + TableId.quote(ts) + " >= ?::" + tsType;
        }
        return compare(tsAndKeys(), tsAndKeyTypes(), "t", ">");
    }

    int bindLower(PreparedStatement ps, int index, TablePosition p) throws SQLException {
        if (p.ts() == null) {
            return index;
        }
        ps.setString(index++, p.ts());
        if (p.key() != null) {
            for (String k : p.key()) {
                ps.setString(index++, k);
            }
        }
        return index;
    }

    String deletedPredicate(String alias) {
        String col = alias + "." + TableId.quote(deletedColumn);
        return deletedIsBoolean ? col + " IS TRUE" : col + " IS NOT NULL";
    }

    /**
     * The next rows after the position and below the bound, in (timestamp, key) order. Columns:
     * the table's columns, then the timestamp's text, each key column's text, xmin, and when
     * configured the first-sighting, deleted and created flags.
     * Binds: lower bound, watermark, limit.
     */
    String pollSql(TablePosition p) {
        StringBuilder sql = new StringBuilder("SELECT ");
        sql.append(list(schema.columns().stream().map(TableSchema.Column::name).toList(), "t"));
        sql.append(", t.").append(TableId.quote(ts)).append("::text");
        for (String k : keys) {
            sql.append(", t.").append(TableId.quote(k)).append("::text");
        }
        sql.append(", t.xmin::text::bigint");
        sql.append(", ").append(shadow == null ? "NULL::boolean" : "s." + TableId.quote(keys.get(0)) + " IS NULL");
        sql.append(", ").append(deletedColumn == null ? "false" : deletedPredicate("t"));
        sql.append(", ").append(createdColumn == null ? "NULL::boolean"
                : "t." + TableId.quote(createdColumn) + " = t." + TableId.quote(ts));
        sql.append(", ").append(filter == null ? "true" : "COALESCE((" + filter + "), false)");
        sql.append(" FROM ").append(id().quoted()).append(" t");
        if (shadow != null) {
            sql.append(" LEFT JOIN ").append(shadow.quoted()).append(" s ON ");
            sql.append(keys.stream().map(k -> "s." + TableId.quote(k) + " = t." + TableId.quote(k))
                    .collect(Collectors.joining(" AND ")));
        }
        sql.append(" WHERE ").append(lowerPredicate(p));
        sql.append(" AND t.").append(TableId.quote(ts)).append(" < ?::timestamptz");
        sql.append(" ORDER BY ").append(list(tsAndKeys(), "t"));
        sql.append(" LIMIT ?");
        return sql.toString();
    }

    /** A watermark ({@code timestamptz} text) as text of the timestamp column's type. */
    String asColumnText(Connection c, String bound) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::timestamptz::" + tsType + "::text")) {
            ps.setString(1, bound);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** Number of the table's own columns in {@link #pollSql}'s result. */
    int columnCount() {
        return schema.columns().size();
    }

    /** Column of the keys-seen table holding the sequence number of the event that first delivered the key. */
    static final String SEQ_COLUMN = "cdckit_seq";

    /**
     * Records the keys of the rows after {@code p} up to and including the given (timestamp,
     * key), but soft-deleted ones, as seen. Binds: the event sequence, the lower bound, then the
     * last timestamp and key.
     */
    String rememberSql(TablePosition p) {
        return "INSERT INTO " + shadow.quoted() + " (" + list(keys, "") + ", " + SEQ_COLUMN + ") SELECT "
                + list(keys, "t") + ", ?::bigint FROM " + id().quoted() + " t WHERE " + lowerPredicate(p) + " AND "
                + compare(tsAndKeys(), tsAndKeyTypes(), "t", "<=")
                + (deletedColumn == null ? "" : " AND NOT (" + deletedPredicate("t") + ")")
                + filterPredicate() + " ON CONFLICT DO NOTHING";
    }

    /**
     * Records every key of rows below the bound (or with no timestamp) as seen at sequence 0.
     * Binds: the bound.
     */
    String rememberExistingSql() {
        return "INSERT INTO " + shadow.quoted() + " (" + list(keys, "") + ", " + SEQ_COLUMN + ") SELECT "
                + list(keys, "t") + ", 0 FROM " + id().quoted() + " t WHERE (t." + TableId.quote(ts)
                + " < ?::timestamptz OR t." + TableId.quote(ts) + " IS NULL)"
                + (deletedColumn == null ? "" : " AND NOT (" + deletedPredicate("t") + ")")
                + filterPredicate() + " ON CONFLICT DO NOTHING";
    }

    /**
     * At a restart: forgets the keys first delivered after sequence number {@code ?} (by a batch
     * that was not committed) whose rows are still there, live and matching the filter: the polls
     * deliver those again. The keys of rows deleted (or soft-deleted, or moved out of the filter)
     * since stay: that batch may have reached the handler, so their delete must still be reported.
     */
    String rewindSql() {
        String sameKey = keys.stream().map(k -> "t." + TableId.quote(k) + " = s." + TableId.quote(k))
                .collect(Collectors.joining(" AND "));
        return "DELETE FROM " + shadow.quoted() + " s WHERE s." + SEQ_COLUMN + " > ? AND EXISTS (SELECT 1 FROM "
                + id().quoted() + " t WHERE " + sameKey
                + (deletedColumn == null ? "" : " AND NOT (" + deletedPredicate("t") + ")") + filterPredicate() + ")";
    }

    /** {@code AND (filter)}, or nothing: only rows that match are delivered, so only their keys are seen. */
    private String filterPredicate() {
        return filter == null ? "" : " AND (" + filter + ")";
    }

    /** The row filter ({@code cdc.filter.*}) of the table, or null. */
    String filter() {
        return filter;
    }

    /**
     * The text of each key of the rows after {@code after} (null: from the first) up to and
     * including {@code upTo}, in key order: those of a chunk, read in its transaction.
     */
    List<List<String>> keyTexts(Connection c, List<String> after, List<String> upTo) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < keys.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("t.").append(TableId.quote(keys.get(i))).append("::text");
        }
        sql.append(" FROM ").append(id().quoted()).append(" t WHERE ");
        if (after != null) {
            sql.append(compare(keys, keyTypes, "t", ">")).append(" AND ");
        }
        sql.append(compare(keys, keyTypes, "t", "<=")).append(filterPredicate()).append(" ORDER BY ")
                .append(list(keys, "t"));
        List<List<String>> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (List<String> bound : Arrays.asList(after, upTo)) {
                if (bound != null) {
                    for (String v : bound) {
                        ps.setString(i++, v);
                    }
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> key = new ArrayList<>(keys.size());
                    for (int k = 1; k <= keys.size(); k++) {
                        key.add(rs.getString(k));
                    }
                    out.add(key);
                }
            }
        }
        return out;
    }

    /**
     * Records keys as seen, each with the sequence number of the event that delivers it; keys
     * already seen keep theirs. Binds: one text array per key column, then a bigint array.
     */
    String recordKeysSql() {
        StringBuilder cols = new StringBuilder();
        StringBuilder params = new StringBuilder();
        StringBuilder casts = new StringBuilder();
        for (int i = 0; i < keys.size(); i++) {
            cols.append(TableId.quote("k" + i)).append(", ");
            params.append("pg_catalog.unnest(?::text[]), ");
            casts.append("u.").append(TableId.quote("k" + i)).append("::").append(keyTypes.get(i)).append(", ");
        }
        return "INSERT INTO " + shadow.quoted() + " (" + list(keys, "") + ", " + SEQ_COLUMN + ") SELECT " + casts
                + "u.s FROM ROWS FROM (" + params + "pg_catalog.unnest(?::bigint[])) AS u(" + cols + "s)"
                + " ON CONFLICT DO NOTHING";
    }

    /** True when {@code row} (as decoded) is marked deleted by the soft-delete column. */
    boolean isSoftDeleted(Map<String, Object> row) {
        if (deletedColumn == null) {
            return false;
        }
        Object v = row.get(deletedColumn);
        return deletedIsBoolean ? Boolean.TRUE.equals(v) : v != null;
    }

    /** Forgets one key. Binds: the key texts. */
    String forgetSql() {
        return "DELETE FROM " + shadow.quoted() + " s WHERE " + compare(keys, keyTypes, "s", "=");
    }
}
