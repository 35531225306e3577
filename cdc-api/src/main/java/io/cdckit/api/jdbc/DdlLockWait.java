package io.cdckit.api.jdbc;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs DDL on captured tables that writers queue behind (installing triggers, setting
 * {@code REPLICA IDENTITY}) without stalling the tables' writers for long.
 *
 * <p>Such a statement waits for every transaction open on its table, and while it waits, every
 * later writer of the table queues behind it: one long transaction would stop all writes. So each
 * attempt runs in a transaction of its own whose {@code lock_timeout} is
 * {@code cdc.ddl.lock-timeout}: each wait for a lock is given up after that long (an attempt that
 * locks several tables may hold the first ones while it waits for the next). Then the attempt is
 * rolled back (nothing is half done), the queued writers go on, and after a pause (1 s, doubling)
 * the attempt is made again, up to {@code cdc.ddl.lock-attempts} times; the same after a deadlock
 * the server broke. When every attempt timed out, the error names the
 * sessions that hold locks on the tables.
 */
public final class DdlLockWait {

    /** SQLSTATE {@code lock_not_available}: a lock wait ran into {@code lock_timeout}. */
    public static final String LOCK_NOT_AVAILABLE = "55P03";
    /** SQLSTATE {@code deadlock_detected}: the server broke a lock cycle by cancelling this transaction. */
    public static final String DEADLOCK = "40P01";

    private static final Logger LOG = LoggerFactory.getLogger(DdlLockWait.class);
    private static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    private static final int MAX_HOLDERS_SHOWN = 5;

    private final Duration timeout;
    private final int attempts;
    private final Duration firstPause;

    /** The work of one attempt, run inside the attempt's transaction. */
    @FunctionalInterface
    public interface Attempt {
        /** Runs the DDL on {@code c}, which is in a transaction; does not commit. */
        void run(Connection c) throws SQLException;
    }

    DdlLockWait(Duration timeout, int attempts, Duration firstPause) {
        this.timeout = timeout;
        this.attempts = attempts;
        this.firstPause = firstPause;
    }

    /** The lock wait of {@code config}: {@code cdc.ddl.lock-timeout} and {@code cdc.ddl.lock-attempts}. */
    public static DdlLockWait of(CdcConfig config) {
        return new DdlLockWait(config.get(CdcConfig.DDL_LOCK_TIMEOUT), config.get(CdcConfig.DDL_LOCK_ATTEMPTS),
                FIRST_PAUSE);
    }

    /** The statement that bounds lock waits for the rest of a transaction, for scripts a DBA runs. */
    public String setLocalLockTimeout() {
        return "SET LOCAL lock_timeout = '" + millis() + "ms'";
    }

    /**
     * Runs {@code attempt} in a transaction in which every lock wait is bounded, again after a
     * pause when a lock wait ran out (or the server broke a deadlock), and commits it.
     *
     * @param what    what the DDL does, for messages (e.g. "install trigger capture")
     * @param tables  the tables whose locks it waits for, to name their holders
     * @param attempt the DDL; it must neither commit nor change auto-commit
     * @throws CdcException when every attempt ran out of time waiting for a lock
     * @throws SQLException any other failure, after rolling back
     */
    public void run(Connection c, String what, List<TableId> tables, Attempt attempt) throws SQLException {
        boolean auto = c.getAutoCommit();
        boolean done = false;
        try {
            for (int n = 1; ; n++) {
                c.setAutoCommit(false);
                try {
                    try (PreparedStatement ps = c.prepareStatement(
                            "SELECT pg_catalog.set_config('lock_timeout', ?, true)")) {
                        ps.setString(1, millis() + "ms");
                        ps.execute();
                    }
                    attempt.run(c);
                    c.commit();
                    done = true;
                    return;
                } catch (SQLException e) {
                    rollback(c, e);
                    if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState()) && !DEADLOCK.equals(e.getSQLState())) {
                        throw e;
                    }
                    c.setAutoCommit(true);
                    String holders = holdersOrWhyNot(c, tables);
                    if (n >= attempts) {
                        throw new CdcException("Could not " + what + ": " + describe(tables) + " stayed locked by "
                                + "other transactions in " + attempts + " attempt(s) (" + holders + "). Each wait "
                                + "for a table's lock was given up after " + millis() + " ms, so writers queued behind "
                                + "it no longer than that. End those transactions or retry at a quieter time; "
                                + "cdc.ddl.lock-timeout and cdc.ddl.lock-attempts set how long each lock is waited "
                                + "for (writers of the table queue behind the wait) and how often it is tried.", e);
                    }
                    Duration pause = firstPause.multipliedBy(1L << Math.min(n - 1, 10));
                    LOG.warn("Could not {} (attempt {} of {}, {}; {}); writers went on, trying again in {} ms",
                            what, n, attempts, DEADLOCK.equals(e.getSQLState()) ? "a deadlock was broken"
                                    : "a lock was not free within " + millis() + " ms", holders, pause.toMillis());
                    sleep(pause, what);
                } catch (RuntimeException e) {
                    try {
                        c.rollback();
                    } catch (SQLException rollback) {
                        e.addSuppressed(rollback);
                    }
                    throw e;
                }
            }
        } finally {
            try {
                c.setAutoCommit(auto);
            } catch (SQLException e) {
                if (done) {
                    throw e;
                }
                // a failure is on its way out already; a broken connection must not hide it
            }
        }
    }

    private long millis() {
        return Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    }

    private static String holdersOrWhyNot(Connection c, List<TableId> tables) {
        try {
            return holders(c, tables);
        } catch (SQLException e) {
            return "their holders could not be listed: " + e.getMessage();
        }
    }

    private static void rollback(Connection c, SQLException cause) throws SQLException {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
            throw cause;
        }
    }

    private static void sleep(Duration pause, String what) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CdcException("Interrupted while waiting to " + what + " again", e);
        }
    }

    private static String describe(List<TableId> tables) {
        return tables.size() == 1 ? "table " + tables.get(0) : "tables " + tables;
    }

    /**
     * The sessions holding locks on {@code tables} now (pid, user, application, state, transaction
     * age, lock modes), never their queries, which may hold secrets.
     */
    static String holders(Connection c, List<TableId> tables) throws SQLException {
        Array names = c.createArrayOf("text", tables.stream().map(TableId::quoted).toArray());
        List<String> out = new ArrayList<>();
        int more = 0;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT l.pid, a.usename, a.application_name, a.state,
                       pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.now() - a.xact_start))::bigint,
                       pg_catalog.string_agg(DISTINCT l.relation::pg_catalog.regclass::pg_catalog.text || ' '
                                             || l.mode, ', ')
                FROM pg_catalog.pg_locks l
                LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'relation' AND l.granted AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid()
                  AND l.database = (SELECT oid FROM pg_catalog.pg_database
                                    WHERE datname = pg_catalog.current_database())
                  AND l.relation IN (SELECT pg_catalog.to_regclass(n) FROM pg_catalog.unnest(?::pg_catalog.text[]) n)
                GROUP BY 1, 2, 3, 4, 5
                ORDER BY 5 DESC NULLS LAST, l.pid""")) {
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (out.size() == MAX_HOLDERS_SHOWN) {
                        more++;
                        continue;
                    }
                    List<String> about = new ArrayList<>();
                    if (rs.getString(2) != null) {
                        about.add("user " + rs.getString(2));
                    }
                    String app = rs.getString(3);
                    if (app != null && !app.isEmpty()) {
                        about.add("application '" + app + "'");
                    }
                    if (rs.getString(4) != null) {
                        about.add(rs.getString(4));
                    }
                    if (rs.getObject(5) != null) {
                        about.add("transaction open for " + rs.getLong(5) + " s");
                    }
                    String who = rs.getObject(1) == null ? "a prepared transaction (see pg_prepared_xacts)"
                            : "pid " + rs.getInt(1);
                    out.add(who + (about.isEmpty() ? "" : " (" + String.join(", ", about) + ")")
                            + " holds " + rs.getString(6));
                }
            }
        } finally {
            names.free();
        }
        if (out.isEmpty()) {
            return "no session holds them now: short transactions kept them busy";
        }
        return String.join("; ", out) + (more > 0 ? "; and " + more + " more" : "");
    }
}
