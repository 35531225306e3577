package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ColumnSelection;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.TableSchema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Publication column lists (PostgreSQL 15+) for the columns {@code cdc.columns.*} leaves out, so
 * that the server does not send them. PostgreSQL requires a column list to cover the table's
 * replica identity, so only a table whose replica identity is its primary key or an index
 * ({@code cdc.log.replica-identity=default}) gets one, holding the captured columns and the
 * identity's; under {@code REPLICA IDENTITY FULL} every column is identity, so the values reach
 * the capturing JVM and are dropped there.
 */
final class PublicationColumns {

    /** The first server version with publication column lists. */
    static final int MIN_SERVER_VERSION = 150000;

    private PublicationColumns() {
    }

    /** The column list of each table that gets one (tables keeping every column have none). */
    static Map<TableId, List<String>> of(Connection c, List<TableId> tables, CdcConfig config) throws SQLException {
        ColumnSelection selection = ColumnSelection.of(config);
        Map<TableId, List<String>> out = new LinkedHashMap<>();
        if (selection.isEmpty()) {
            return out;
        }
        for (TableId t : tables) {
            Set<String> identity = identityColumns(c, t);
            if (identity == null) {
                continue;
            }
            TableSchema schema = TableSchema.load(c, t, config.get(CdcConfig.KEY_COLUMNS));
            List<String> captured = selection.captured(schema);
            List<String> listed = new ArrayList<>();
            for (TableSchema.Column col : schema.columns()) {
                if (captured.contains(col.name()) || identity.contains(col.name())) {
                    listed.add(col.name());
                }
            }
            if (listed.size() < schema.columns().size()) {
                out.put(t, List.copyOf(listed));
            }
        }
        return out;
    }

    /** The replica identity's columns when it is the primary key or an index; null for FULL or NOTHING. */
    private static Set<String> identityColumns(Connection c, TableId t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT c.relreplident::text, pg_catalog.array_agg(a.attname::text) FILTER (WHERE a.attname IS NOT NULL)
                FROM pg_catalog.pg_class c
                LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid
                     AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))
                LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
                WHERE c.oid = ?::pg_catalog.regclass
                GROUP BY c.relreplident""")) {
            ps.setString(1, t.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String kind = rs.getString(1);
                java.sql.Array names = rs.getArray(2);
                if (!("d".equals(kind) || "i".equals(kind)) || names == null) {
                    return null;
                }
                return Set.of((String[]) names.getArray());
            }
        }
    }
}
