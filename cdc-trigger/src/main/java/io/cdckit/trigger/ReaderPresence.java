package io.cdckit.trigger;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Tells the triggers whether the reader of a table needs waking, so that busy writers do not each
 * send a NOTIFY (every notifying commit takes a database-wide lock, and the listening connection
 * handles each notification).
 *
 * <p>Two advisory locks per captured table, keyed by two {@code int4}: the {@code hashtext} of the
 * log schema and the purpose ({@link #lockName}), and the table's oid:
 * <ul>
 *   <li><b>reading</b>: the reader holds it exclusively while it reads. A trigger sends its NOTIFY
 *       only when it can take it shared (then the reader is waiting, or about to);</li>
 *   <li><b>in flight</b>: every capturing transaction holds it shared until it ends, taken before
 *       it looks at the first one. A transaction only tries it: the reader holds it exclusively for
 *       an instant while it checks, and a transaction that does not get it then notifies.</li>
 * </ul>
 * Before the reader waits for a notification it releases its reading locks and then tries the
 * in-flight locks: when it gets them, every transaction that may have skipped its NOTIFY has
 * ended, so one more read finds its entries and every later transaction will notify. When a
 * transaction is still in flight, the reader waits only briefly (doubling up to the poll
 * interval) and looks again. No entry can be missed either way, only found later: reading is by
 * snapshots, and the poll interval bounds every wait.
 */
final class ReaderPresence {

    static final String READING = "reading";
    static final String IN_FLIGHT = "in-flight";

    /** How long {@link #reading(Connection)} waits in all for reading locks that writers hold. */
    static final Duration LOCK_WAIT = Duration.ofMillis(20);
    private static final Duration AFTER_TIMEOUT = Duration.ofSeconds(1);
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private final int reading;
    private final int inFlight;
    /** The tables' oids as the triggers' second key ({@code TG_RELID::int4}). */
    private final int[] relids;
    private final boolean[] held;
    private boolean allHeld;
    private final long[] noWaitUntil;

    private ReaderPresence(int reading, int inFlight, int[] relids) {
        this.reading = reading;
        this.inFlight = inFlight;
        this.relids = relids;
        this.held = new boolean[relids.length];
        this.noWaitUntil = new long[relids.length];
        Arrays.fill(noWaitUntil, System.nanoTime());
    }

    /** The name whose {@code hashtext} keys the locks of {@code purpose} in log schema {@code schema}. */
    static String lockName(String schema, String purpose) {
        return "cdckit:" + schema + ":" + purpose;
    }

    /** The locks of the captured tables {@code oids}, as the install script's triggers compute them. */
    static ReaderPresence of(Connection c, String schema, Collection<Long> oids) throws SQLException {
        int reading;
        int inFlight;
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.hashtext(?), pg_catalog.hashtext(?)")) {
            ps.setString(1, lockName(schema, READING));
            ps.setString(2, lockName(schema, IN_FLIGHT));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                reading = rs.getInt(1);
                inFlight = rs.getInt(2);
            }
        }
        int[] relids = oids.stream().mapToInt(Long::intValue).toArray(); // as oid::int4 casts it
        return new ReaderPresence(reading, inFlight, relids);
    }

    /**
     * Takes the reading locks not yet held, waiting up to {@link #LOCK_WAIT} for one that a
     * notifying transaction holds shared (see {@link #reading(Connection, Duration)}).
     */
    void reading(Connection c) throws SQLException {
        reading(c, LOCK_WAIT);
    }

    /**
     * Takes the reading locks not yet held. A lock that a notifying transaction holds shared is
     * waited for, up to {@code wait} (in all): while this request waits, writers' try-locks fail,
     * so they stop notifying, and the short transactions holding it end. Under many concurrent
     * writers some transaction nearly always holds it, and a try alone would rarely get it. A lock
     * not got in time (a long transaction holds it) is tried again at a later call; until then that
     * table's writers keep notifying, which is only wasteful.
     */
    void reading(Connection c, Duration wait) throws SQLException {
        if (allHeld) {
            return;
        }
        int[] idx = IntStream.range(0, held.length).filter(i -> !held[i]).toArray();
        Integer[] wanted = Arrays.stream(idx).mapToObj(i -> relids[i]).toArray(Integer[]::new);
        Array keys = c.createArrayOf("int4", wanted);
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT pg_catalog.pg_try_advisory_lock(?, k) FROM pg_catalog.unnest(?::int4[]) WITH ORDINALITY AS u(k, n) "
                        + "ORDER BY n")) {
            ps.setInt(1, reading);
            ps.setArray(2, keys);
            try (ResultSet rs = ps.executeQuery()) {
                int i = 0;
                while (rs.next()) {
                    held[idx[i++]] = rs.getBoolean(1);
                }
            }
        } finally {
            keys.free();
        }
        waitForBusy(c, wait);
        allHeld = true;
        for (boolean h : held) {
            allHeld &= h;
        }
    }

    /**
     * Waits for the reading locks still not held, one after the other, {@code wait} in all. After
     * a wait for a lock ran out (a long transaction holds it), that lock is only tried for
     * {@link #AFTER_TIMEOUT}, so such a transaction does not slow every read; the others are still
     * waited for.
     */
    private void waitForBusy(Connection c, Duration wait) throws SQLException {
        if (!c.getAutoCommit()) {
            throw new IllegalStateException("The reader takes its reading locks in autocommit mode");
        }
        long deadline = System.nanoTime() + wait.toNanos();
        for (int i = 0; i < held.length; i++) {
            long now = System.nanoTime();
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - now);
            if (held[i] || now - noWaitUntil[i] < 0) {
                continue;
            }
            if (left < 1) {
                return;
            }
            c.setAutoCommit(false);
            try (PreparedStatement timeout = c.prepareStatement("SELECT pg_catalog.set_config('lock_timeout', ?, true)");
                 PreparedStatement lock = c.prepareStatement("SELECT pg_catalog.pg_advisory_lock(?, ?)")) {
                timeout.setString(1, left + "ms");
                timeout.execute();
                lock.setInt(1, reading);
                lock.setInt(2, relids[i]);
                lock.execute();
                held[i] = true; // a session lock: it stays held after the transaction ends
                c.commit();
            } catch (SQLException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                    throw e;
                }
                if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                    throw e;
                }
                noWaitUntil[i] = System.nanoTime() + AFTER_TIMEOUT.toNanos();
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /**
     * Releases the reading locks, so that writers notify from now on, and reports whether no
     * capturing transaction is in flight (each that may have skipped its NOTIFY has ended).
     *
     * @return true when the reader may wait for notifications for its whole poll interval
     */
    boolean idle(Connection c) throws SQLException {
        Integer[] release = IntStream.range(0, held.length).filter(i -> held[i]).mapToObj(i -> relids[i])
                .toArray(Integer[]::new);
        if (release.length > 0) {
            Array keys = c.createArrayOf("int4", release);
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_catalog.count(pg_catalog.pg_advisory_unlock(?, k)) FROM pg_catalog.unnest(?::int4[]) k")) {
                ps.setInt(1, reading);
                ps.setArray(2, keys);
                ps.executeQuery().close();
            } finally {
                keys.free();
            }
            Arrays.fill(held, false);
            allHeld = false;
        }
        // only now: a transaction that saw the reading lock held took its in-flight lock before
        Array keys = c.createArrayOf("int4", Arrays.stream(relids).boxed().toArray(Integer[]::new));
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT pg_catalog.bool_and(CASE WHEN pg_catalog.pg_try_advisory_lock(?, k)
                                                THEN pg_catalog.pg_advisory_unlock(?, k) ELSE false END)
                FROM pg_catalog.unnest(?::int4[]) k""")) {
            ps.setInt(1, inFlight);
            ps.setInt(2, inFlight);
            ps.setArray(3, keys);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } finally {
            keys.free();
        }
    }
}
