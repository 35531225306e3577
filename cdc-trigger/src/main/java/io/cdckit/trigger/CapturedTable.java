package io.cdckit.trigger;

import io.cdckit.api.TableColumns;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.TableSchema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A captured table as the reader knows it: its oid (what log entries carry), its current name
 * and schema, and where its dropped columns sit, to line up row images logged before a column
 * was dropped. Mutable: refreshed when the table is altered or renamed, marked when dropped.
 */
final class CapturedTable {

    final long oid;
    /** The configured key columns ({@code cdc.key.columns}), applied again on refresh. */
    private final TableColumns keys;
    TableId id;
    TableSchema schema;
    /** For each attribute number from 1, whether the column is dropped. */
    List<Boolean> dropped = List.of();
    boolean gone;

    private CapturedTable(long oid, TableId id, TableColumns keys) {
        this.oid = oid;
        this.id = id;
        this.keys = keys;
    }

    /** Loads a configured table, checking it exists, is readable and has a primary key or configured key columns. */
    static CapturedTable load(Connection c, TableId id, TableColumns keys) throws SQLException {
        TableSchema schema = TableSchema.load(c, id, keys).requirePrimaryKey();
        long oid;
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::pg_catalog.regclass::oid")) {
            ps.setString(1, id.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                oid = rs.getLong(1);
            }
        }
        CapturedTable t = new CapturedTable(oid, id, keys);
        t.schema = schema;
        t.dropped = droppedColumns(c, oid);
        return t;
    }

    /**
     * Reads the table again after it was altered or renamed. Returns false (and marks it gone)
     * when it was dropped.
     */
    boolean refresh(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, r.relname FROM pg_catalog.pg_class r
                JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = ?""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    gone = true;
                    return false;
                }
                id = new TableId(rs.getString(1), rs.getString(2));
            }
        }
        schema = TableSchema.load(c, id, keys).requirePrimaryKey();
        dropped = droppedColumns(c, oid);
        return true;
    }

    /** True when the catalog still shows the columns this table was loaded with. */
    boolean isCurrent(Connection c) throws SQLException {
        return droppedColumns(c, oid).equals(dropped);
    }

    /** The names of the live columns, in order. */
    Set<String> liveColumnNames() {
        Set<String> names = new LinkedHashSet<>();
        schema.columns().forEach(col -> names.add(col.name()));
        return names;
    }

    private static List<Boolean> droppedColumns(Connection c, long oid) throws SQLException {
        List<Boolean> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT attisdropped FROM pg_catalog.pg_attribute WHERE attrelid = ? AND attnum > 0 ORDER BY attnum""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getBoolean(1));
                }
            }
        }
        return List.copyOf(out);
    }
}
