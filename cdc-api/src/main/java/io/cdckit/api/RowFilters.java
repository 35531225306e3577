package io.cdckit.api;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-table row filters, {@code cdc.filter.<schema.table>=<SQL condition>}: only rows for which
 * the condition is true are captured, with PostgreSQL's rule for publication row filters, the
 * same in every strategy ({@link #outcome}): an update that moves a row out of the filter
 * arrives as a delete of the old row, one that moves it in as an insert of the new row.
 *
 * <p>The condition is SQL on the table's columns, written by whoever configures the source (as
 * trusted as the rest of the config); it is checked at start by running it once, so a condition
 * that does not parse fails naming the key.
 *
 * @param filters the condition of each filtered table
 */
public record RowFilters(Map<TableId, String> filters) {

    /** The prefix of the keys. */
    public static final String PREFIX = "cdc.filter.";

    /** Freezes the map. */
    public RowFilters {
        filters = Collections.unmodifiableMap(new LinkedHashMap<>(filters));
    }

    /**
     * The filters of a config.
     *
     * @throws CdcException naming the key when the table part is not a table name or the condition is empty
     */
    public static RowFilters of(CdcConfig config) {
        Map<TableId, String> m = new LinkedHashMap<>();
        config.withPrefix(PREFIX).forEach((table, condition) -> {
            TableId t;
            try {
                t = TableId.parse(table);
            } catch (IllegalArgumentException e) {
                throw new CdcException("Configuration key '" + PREFIX + table + "' does not name a table: expected "
                        + PREFIX + "<schema>.<table>=<condition>, e.g. " + PREFIX + "public.orders=status <> 'draft'.");
            }
            if (condition.isBlank() || condition.contains(";")) {
                throw new CdcException("Invalid value '" + condition + "' for configuration key '" + PREFIX + table
                        + "': expected one SQL condition on the table's columns, without ';', e.g. status <> 'draft'.");
            }
            m.put(t, condition.strip());
        });
        return new RowFilters(m);
    }

    /** The condition of {@code table}, or null when all its rows are captured. */
    public String of(TableId table) {
        return filters.get(table);
    }

    /** True when no table is filtered. */
    public boolean isEmpty() {
        return filters.isEmpty();
    }

    /**
     * Checks that every filtered table is captured and that its condition runs on it.
     *
     * @throws CdcException naming the key, the condition and PostgreSQL's message
     */
    public void check(Connection c, CdcConfig config) throws SQLException {
        for (Map.Entry<TableId, String> f : filters.entrySet()) {
            TableId t = f.getKey();
            if (!config.tables().contains(t)) {
                throw new CdcException(PREFIX + t + " filters a table that is not captured (cdc.tables is "
                        + config.tables() + "): fix the table name, or add the table to cdc.tables.");
            }
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT 1 FROM " + t.quoted() + " t WHERE (" + f.getValue() + ") LIMIT 0");
            } catch (SQLException e) {
                throw new CdcException("The row filter " + PREFIX + t + "='" + f.getValue() + "' does not run on "
                        + t + ": " + e.getMessage().strip() + ". Write one SQL condition on the table's columns.", e);
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
            checkOnCapturedColumns(c, config, t, f.getValue());
        }
    }

    /**
     * A filter may name only captured columns: a strategy that leaves the others out before it
     * filters (the trigger strategy's reader, the timestamp strategy's queries) could not evaluate
     * it, and every strategy must give the same events.
     */
    private static void checkOnCapturedColumns(Connection c, CdcConfig config, TableId t, String filter)
            throws SQLException {
        ColumnSelection selection = ColumnSelection.of(config);
        if (selection.isEmpty()) {
            return;
        }
        io.cdckit.api.jdbc.TableSchema schema = io.cdckit.api.jdbc.TableSchema.load(c, t,
                config.get(CdcConfig.KEY_COLUMNS));
        java.util.List<String> captured = selection.captured(schema);
        if (captured.size() == schema.columns().size()) {
            return;
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SELECT 1 FROM (SELECT " + String.join(", ", captured.stream().map(TableId::quote).toList())
                    + " FROM " + t.quoted() + ") t WHERE (" + filter + ") LIMIT 0");
        } catch (SQLException e) {
            throw new CdcException("The row filter " + PREFIX + t + "='" + filter + "' uses a column that "
                    + "cdc.columns.include/exclude leaves out (" + e.getMessage().strip() + "): a filter sees only "
                    + "captured columns. Capture that column, or filter on another.", e);
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * What a change becomes under a filter, by whether its old and new rows match: an insert
     * whose row matches stays; a delete whose row matched stays; an update stays when both match,
     * becomes a delete when only the old row matched and an insert when only the new one does.
     * Null when nothing is captured. Snapshot reads and truncates are kept as they are (a snapshot
     * reads only matching rows).
     */
    public static Op outcome(Op op, boolean beforeMatches, boolean afterMatches) {
        return switch (op) {
            case CREATE -> afterMatches ? Op.CREATE : null;
            case DELETE -> beforeMatches ? Op.DELETE : null;
            case UPDATE -> beforeMatches && afterMatches ? Op.UPDATE : beforeMatches ? Op.DELETE
                    : afterMatches ? Op.CREATE : null;
            default -> op;
        };
    }
}
