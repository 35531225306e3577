package io.cdckit.logbased;

import io.cdckit.api.TableColumns;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tables the native engine has seen described by {@code pgoutput}'s relation messages: their
 * columns, each column's type as {@link TextValues} names it (domains resolved to their base type,
 * arrays by their element type) and the key that keys their events (the primary key, or
 * {@code cdc.key.columns}). A relation message after a schema change replaces the description,
 * so a column added mid-stream is decoded from its first change on.
 */
final class PgOutputRelations {

    private static final Logger LOG = LoggerFactory.getLogger(PgOutputRelations.class);
    private static final String TYPE_SQL = "SELECT t.oid::bigint, "
            + "CASE WHEN b.typcategory = 'A' THEN '_' || e.typname ELSE b.typname END "
            + "FROM pg_catalog.pg_type t "
            + "JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END "
            + "LEFT JOIN pg_catalog.pg_type e ON e.oid = b.typelem "
            + "WHERE t.oid = ANY (CAST(? AS oid[]))";

    /**
     * A described table.
     *
     * @param key indexes of the key columns, in key order; empty when the table has no key
     */
    record Relation(TableId id, String[] names, String[] types, int[] key) {
    }

    private final SourceConnections connections;
    private final TableColumns keyColumns;
    private final Map<Integer, Relation> byOid = new HashMap<>();
    private final Map<Long, String> typeNames = new HashMap<>();

    PgOutputRelations(SourceConnections connections, TableColumns keyColumns) {
        this.connections = connections;
        this.keyColumns = keyColumns;
    }

    /** The relation with {@code oid}; fails when no relation message described it. */
    Relation get(int oid) {
        Relation r = byOid.get(oid);
        if (r == null) {
            throw new IllegalStateException("pgoutput sent a change of relation " + Integer.toUnsignedString(oid)
                    + " before describing it");
        }
        return r;
    }

    /** Records a relation message. */
    void describe(PgOutputMessage.Relation message) throws SQLException {
        List<PgOutputMessage.RelationColumn> columns = message.columns();
        String[] names = new String[columns.size()];
        String[] types = new String[columns.size()];
        List<Long> unknown = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            names[i] = columns.get(i).name();
            long oid = Integer.toUnsignedLong(columns.get(i).typeOid());
            if (!typeNames.containsKey(oid)) {
                unknown.add(oid);
            }
        }
        TableId id = new TableId(message.schema(), message.table());
        List<String> key;
        try (Connection c = connections.borrow()) {
            if (!unknown.isEmpty()) {
                loadTypes(c, unknown);
            }
            key = keyOf(c, id, message);
        }
        for (int i = 0; i < names.length; i++) {
            types[i] = typeNames.getOrDefault(Integer.toUnsignedLong(columns.get(i).typeOid()), "text");
        }
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            index.put(names[i], i);
        }
        int[] keyIndexes = key.stream().filter(index::containsKey).mapToInt(index::get).toArray();
        byOid.put(message.oid(), new Relation(id, names, types, keyIndexes));
    }

    /**
     * The key columns of {@code id} as the catalog has them now; when the table cannot be read
     * (dropped since the change was written), the replica identity columns the message flags.
     */
    private List<String> keyOf(Connection c, TableId id, PgOutputMessage.Relation message) {
        try {
            return TableSchema.load(c, id, keyColumns).primaryKey();
        } catch (Exception e) {
            LOG.debug("Cannot read the key of {} from the catalog; using its replica identity columns", id, e);
            rollbackQuietly(c);
            List<String> flagged = new ArrayList<>();
            for (PgOutputMessage.RelationColumn col : message.columns()) {
                if (col.key() && message.replicaIdentity() != 'f') {
                    flagged.add(col.name());
                }
            }
            return flagged;
        }
    }

    private void loadTypes(Connection c, List<Long> oids) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TYPE_SQL)) {
            ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    typeNames.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // the connection goes back to the pool, which resets it
        }
    }
}
