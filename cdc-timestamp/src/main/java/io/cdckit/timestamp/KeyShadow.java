package io.cdckit.timestamp;

import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;

/**
 * The keys seen, kept per source and captured table in the state schema of the source database:
 * a table with the captured table's primary-key columns (same types and collations). A key is
 * added in the same transaction that reads its row, before the row is handed out, and removed
 * only when the delete event that reports it is committed, so the set always holds every key
 * the committed position has delivered and not yet reported deleted (it may also hold keys of
 * the batch in flight; each key carries the sequence number of the event that first delivered it,
 * so a restart forgets the keys of a batch that was never committed, except those of rows deleted
 * since, whose delete is then reported). The registry table {@code timestamp_key_tables} says which table belongs
 * to which source.
 */
final class KeyShadow {

    private static final Logger LOG = LoggerFactory.getLogger(KeyShadow.class);
    private static final String REGISTRY = TimestampState.REGISTRY;

    private final String schema;
    private final String sourceName;

    KeyShadow(String schema, String sourceName) {
        this.schema = schema;
        this.sourceName = sourceName;
    }

    /** Creates the state schema, the registry and the table of keys seen for {@code t}, if missing. */
    void prepare(Connection c, CapturedTable t) throws SQLException {
        TableId shadow = new TableId(schema, "keys_" + digest(sourceName + "\0" + t.id().schema() + "\0"
                + t.id().table()));
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema));
            st.execute("CREATE TABLE IF NOT EXISTS " + new TableId(schema, REGISTRY).quoted()
                    + " (source_name text NOT NULL, table_schema text NOT NULL, table_name text NOT NULL,"
                    + " key_table text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),"
                    + " PRIMARY KEY (source_name, table_schema, table_name))");
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                ps.setString(1, shadow.quoted());
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            if (!exists) {
                c.setAutoCommit(false);
                try {
                    st.execute("CREATE TABLE " + shadow.quoted() + " AS SELECT "
                            + CapturedTable.list(t.keyColumns(), "") + " FROM " + t.id().quoted() + " WITH NO DATA");
                    st.execute("ALTER TABLE " + shadow.quoted() + " ADD PRIMARY KEY ("
                            + CapturedTable.list(t.keyColumns(), "") + "), ADD COLUMN " + CapturedTable.SEQ_COLUMN
                            + " bigint NOT NULL DEFAULT 0");
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO "
                            + new TableId(schema, REGISTRY).quoted()
                            + " (source_name, table_schema, table_name, key_table) VALUES (?, ?, ?, ?)"
                            + " ON CONFLICT (source_name, table_schema, table_name) DO UPDATE SET key_table ="
                            + " EXCLUDED.key_table")) {
                        ps.setString(1, sourceName);
                        ps.setString(2, t.id().schema());
                        ps.setString(3, t.id().table());
                        ps.setString(4, shadow.table());
                        ps.executeUpdate();
                    }
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
                LOG.info("Created {} to keep the keys of {} seen by source '{}'", shadow, t.id(), sourceName);
            }
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new CdcException("Key tracking (cdc.timestamp.reconcile.every-polls > 0) keeps the keys seen in "
                        + "schema " + TableId.quote(schema) + ", but the user may not create it or tables in it ("
                        + e.getMessage() + "): run GRANT CREATE ON DATABASE <this database> TO <cdc user>; (or "
                        + "create the schema and GRANT CREATE ON SCHEMA " + TableId.quote(schema) + "), or set "
                        + "cdc.timestamp.reconcile.every-polls=0 to do without hard-delete detection.", e);
            }
            throw e;
        }
        t.shadow(shadow);
    }

    /**
     * Starts the keys seen of {@code t} over: empty, or, when {@code bound} is given, holding the
     * keys of the rows that exist below it (they count as delivered: {@code cdc.snapshot.mode=never}).
     */
    void reset(Connection c, CapturedTable t, String bound) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("TRUNCATE " + t.shadow().quoted());
            if (bound != null) {
                try (PreparedStatement ps = c.prepareStatement(t.rememberExistingSql())) {
                    ps.setString(1, bound);
                    int n = ps.executeUpdate();
                    LOG.info("Recorded the {} existing keys of {} as seen", n, t.id());
                }
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /**
     * Forgets the keys first delivered after the committed position {@code seq} whose rows are still
     * there: that batch was never committed and comes again, so those rows are first sightings
     * again. Keys of rows gone since stay, so reconciliation reports their delete: the batch may
     * have reached the handler before the crash.
     */
    void rewind(Connection c, CapturedTable t, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(t.rewindSql())) {
            ps.setLong(1, seq);
            int n = ps.executeUpdate();
            if (n > 0) {
                LOG.info("Forgot {} keys of {} first delivered after the committed position (their rows come again)",
                        n, t.id());
            }
        }
    }

    /** Forgets keys whose deletes were committed. */
    void forget(Connection c, CapturedTable t, List<List<String>> keys) throws SQLException {
        if (keys.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(t.forgetSql())) {
            for (List<String> key : keys) {
                for (int i = 0; i < key.size(); i++) {
                    ps.setString(i + 1, key.get(i));
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static String digest(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
