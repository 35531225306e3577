package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.SourceLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What a timestamp source keeps in the captured database: its keys-seen tables in
 * {@code cdc.timestamp.state-schema}, one per captured table, listed in the registry
 * {@code timestamp_key_tables}. They outlive the source; {@link #drop} removes those of a source
 * that is retired (its committed position goes with its offset store).
 */
public final class TimestampState {

    private static final Logger LOG = LoggerFactory.getLogger(TimestampState.class);
    static final String REGISTRY = "timestamp_key_tables";

    private TimestampState() {
    }

    /** The name of the lock a running timestamp source {@code name} holds (see {@link SourceLock}). */
    static String lockName(String stateSchema, String name) {
        return "cdckit:timestamp:" + stateSchema + ":" + name;
    }

    /**
     * Drops the keys-seen tables of source {@code cdc.name} in {@code cdc.timestamp.state-schema}
     * (for every table it ever captured, whatever {@code cdc.tables} says now) and their registry
     * rows, in one transaction. Refuses while a source of that name runs (and keeps one from
     * starting meanwhile): its next poll would start its set of keys over and miss the deletes of
     * rows it delivered before.
     *
     * @return the tables of captured rows whose keys were dropped
     */
    public static List<TableId> drop(CdcConfig config) {
        String schema = config.get(TimestampChangeSourceProvider.STATE_SCHEMA);
        TableId registry = new TableId(schema, REGISTRY);
        try (SourceConnections connections = SourceConnections.create(config).requireUrl("Dropping the keys seen");
             Connection c = connections.borrow()) {
            c.setAutoCommit(false);
            try {
                if (!SourceLock.freeForTransaction(c, lockName(schema, config.name()))) {
                    throw new CdcException("Timestamp source '" + config.name() + "' is running (it holds its "
                            + "lock in this database): stop it before dropping its keys seen.");
                }
                List<TableId> captured = new ArrayList<>();
                List<TableId> keyTables = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT table_schema, table_name, key_table FROM " + registry.quoted()
                                + " WHERE source_name = ? FOR UPDATE")) {
                    ps.setString(1, config.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            captured.add(new TableId(rs.getString(1), rs.getString(2)));
                            keyTables.add(new TableId(schema, rs.getString(3)));
                        }
                    }
                } catch (SQLException e) {
                    if ("42P01".equals(e.getSQLState())) { // no registry: nothing was ever kept in this schema
                        c.rollback();
                        return List.of();
                    }
                    throw e;
                }
                try (Statement st = c.createStatement()) {
                    for (TableId k : keyTables) {
                        st.execute("DROP TABLE IF EXISTS " + k.quoted());
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "DELETE FROM " + registry.quoted() + " WHERE source_name = ?")) {
                    ps.setString(1, config.name());
                    ps.executeUpdate();
                }
                c.commit();
                LOG.info("Dropped the keys seen of timestamp source '{}' in schema {} for {}", config.name(), schema,
                        captured);
                return captured;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new CdcException("Dropping the keys seen of timestamp source '" + config.name() + "' in schema "
                    + schema + " failed: " + e.getMessage() + ". It needs ownership of the keys-seen tables (the "
                    + "user the source ran as).", e);
        }
    }
}
