package io.cdckit.api.jdbc;

import io.cdckit.api.CdcException;
import io.cdckit.api.HandedOver;
import io.cdckit.api.TableColumns;
import io.cdckit.api.TableId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A captured table's columns and primary key, read from PostgreSQL's catalog.
 *
 * @param id         the table
 * @param columns    the live columns, in order
 * @param primaryKey names of the primary-key columns in key order; empty when the table has none
 */
public record TableSchema(TableId id, List<Column> columns, List<String> primaryKey) {

    /**
     * One column.
     *
     * @param name     column name as stored
     * @param type     the type as {@code format_type} prints it, e.g. {@code numeric(12,2)}, usable in a cast
     * @param typeName the type's catalog name, e.g. {@code numeric}, {@code _int4} for arrays
     * @param notNull  true when declared NOT NULL
     */
    public record Column(String name, String type, String typeName, boolean notNull) {
    }

    /** Freezes the lists. */
    public TableSchema {
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
    }

    /**
     * Reads the table from the catalog, checking that it exists and that the connected user may
     * SELECT from it.
     *
     * @throws CdcException naming the table and the fix when it is missing or not readable
     */
    public static TableSchema load(Connection connection, TableId id) throws SQLException {
        long oid;
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT c.oid, c.relkind, has_table_privilege(c.oid, 'SELECT') AS can_select, current_user AS who
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ? AND c.relname = ?""")) {
            ps.setString(1, id.schema());
            ps.setString(2, id.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new CdcException("Table " + id + " does not exist in this database: create it, or fix "
                            + "cdc.tables (unquoted names are folded to lower case; quote mixed-case names, "
                            + "e.g. \"Sales\".\"Orders\").");
                }
                String kind = rs.getString("relkind");
                if (!kind.equals("r") && !kind.equals("p")) {
                    throw new CdcException(id + " is not a table (relkind " + kind + "): cdc.tables lists "
                            + "ordinary or partitioned tables only.");
                }
                if (!rs.getBoolean("can_select")) {
                    throw new CdcException("User " + rs.getString("who") + " lacks SELECT on " + id
                            + ": run GRANT SELECT ON " + id.quoted() + " TO " + TableId.quote(rs.getString("who"))
                            + ";");
                }
                oid = rs.getLong("oid");
            }
        }
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, t.typname, a.attnotnull
                FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4)));
                }
            }
        }
        List<String> pk = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT a.attname
                FROM pg_catalog.pg_index i
                JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
                JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = ? AND i.indisprimary
                ORDER BY k.ord""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pk.add(rs.getString(1));
                }
            }
        }
        return new TableSchema(id, columns, pk);
    }

    /**
     * Reads the table like {@link #load(Connection, TableId)}, keyed by its configured key
     * columns ({@code cdc.key.columns}) when {@code keys} has some for it.
     *
     * @throws CdcException naming {@code cdc.key.columns}, the table and the fix when a configured
     *                      column does not exist, allows NULL, or no unique index makes the
     *                      columns unique
     */
    public static TableSchema load(Connection connection, TableId id, TableColumns keys) throws SQLException {
        TableSchema t = load(connection, id);
        List<String> configured = keys == null ? null : keys.of(id);
        if (configured == null) {
            return t;
        }
        Map<String, Column> byName = new LinkedHashMap<>();
        t.columns.forEach(c -> byName.put(c.name(), c));
        for (String k : configured) {
            Column c = byName.get(k);
            if (c == null) {
                throw new CdcException("cdc.key.columns names column '" + k + "' of " + id + ", which has no such "
                        + "column: its columns are " + String.join(", ", byName.keySet()) + ". Fix cdc.key.columns "
                        + "(unquoted names are folded to lower case).");
            }
            if (!c.notNull()) {
                throw new CdcException("cdc.key.columns makes '" + k + "' a key column of " + id + ", but it allows "
                        + "NULL, and rows with a NULL key cannot be told apart or read in key order: run ALTER TABLE "
                        + id.quoted() + " ALTER COLUMN " + TableId.quote(k) + " SET NOT NULL; or choose other columns.");
            }
        }
        if (!uniqueWithin(connection, id, configured)) {
            throw new CdcException("cdc.key.columns keys " + id + " by (" + String.join(", ", configured) + "), but no "
                    + "unique index makes them unique, and snapshots, which read a table in key order chunk by chunk, "
                    + "would skip rows with equal keys: run CREATE UNIQUE INDEX ON " + id.quoted() + " ("
                    + configured.stream().map(TableId::quote).collect(Collectors.joining(", ")) + "); or choose "
                    + "columns that are unique.");
        }
        return new TableSchema(id, t.columns, configured);
    }

    /** True when a unique, non-partial index (or the primary key) covers only columns of {@code key}. */
    private static boolean uniqueWithin(Connection connection, TableId id, List<String> key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT 1 FROM pg_catalog.pg_index i
                WHERE i.indrelid = CAST(? AS regclass) AND i.indisunique AND i.indpred IS NULL
                  AND i.indexprs IS NULL
                  AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey) AS k(attnum)
                                  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                                  WHERE a.attname <> ALL (?))""")) {
            ps.setString(1, id.quoted());
            ps.setArray(2, connection.createArrayOf("text", key.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** This schema with only the columns named (in table order), e.g. those a source captures. */
    public TableSchema only(List<String> names) {
        return new TableSchema(id, columns.stream().filter(c -> names.contains(c.name())).toList(), primaryKey);
    }

    /**
     * This schema, checked to have a primary key.
     *
     * @throws CdcException naming the table and the fix when it has none
     */
    public TableSchema requirePrimaryKey() {
        if (primaryKey.isEmpty()) {
            throw new CdcException("Table " + id + " has no primary key, so its changes cannot be keyed: add one, "
                    + "e.g. ALTER TABLE " + id.quoted() + " ADD PRIMARY KEY (id); or name NOT NULL, unique columns "
                    + "that key it in cdc.key.columns, e.g. cdc.key.columns=" + id + ":id");
        }
        return this;
    }

    /** The primary-key columns of a row image, in key order (empty map when the table has no key). */
    public Map<String, Object> keyOf(Map<String, Object> row) {
        if (row == null) {
            return Map.of();
        }
        Map<String, Object> key = new LinkedHashMap<>();
        for (String k : primaryKey) {
            key.put(k, row.get(k));
        }
        return HandedOver.map(key);
    }

    /** The column called {@code name}, or null. */
    public Column column(String name) {
        for (Column c : columns) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** The quoted, comma-separated column list, for SELECTs. */
    public String quotedColumnList() {
        return columns.stream().map(c -> TableId.quote(c.name())).collect(Collectors.joining(", "));
    }
}
