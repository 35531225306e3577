package io.cdckit.timestamp;

import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * The safe upper bound of the timestamps that may be delivered: no transaction that has not yet
 * become visible can still write a row with a timestamp below it.
 *
 * <p>A row's timestamp, set from {@code now()} or {@code clock_timestamp()} by the server, is at
 * least the start of the transaction that writes it. {@link #advance} reads, from
 * {@code pg_stat_activity}, the start of every transaction of this database that is in flight
 * ({@code xact_start}, or {@code query_start} of a statement about to open one) and takes the
 * smallest, or the probe's own time when none is in flight, minus the delay
 * ({@code cdc.timestamp.delay}). Every transaction that started before that bound had therefore
 * ended when it was read, so a snapshot taken afterwards sees all its rows: every row below the
 * bound is final in such a snapshot. The delay covers a statement that had taken its start time
 * but not yet published it when the probe ran (a few microseconds of work in the server, longer
 * only when the server stalls), and a server clock that steps back. The caller must take its data
 * snapshot after {@link #advance} returns.
 */
final class Watermark {

    private static final Logger LOG = LoggerFactory.getLogger(Watermark.class);

    /**
     * In-flight start per backend of this database, but for this one and for backends that never
     * write user rows. Backends with tracking disabled count from their connection start; idle
     * backends (no transaction) and backends still starting up (no state yet, and no client
     * transaction before their first statement) do not count.
     *
     * <p>A backend this session may not see shows only its pid, database and user: every other
     * column, {@code backend_type} included, is null. Such a row is counted as invisible, never
     * left out, since its transaction could be the oldest.
     */
    private static final String PROBE = """
            SELECT statement_timestamp() AS probe,
                   min(CASE WHEN a.state = 'idle' THEN NULL
                            WHEN a.state = 'disabled' THEN a.backend_start
                            ELSE least(a.xact_start, CASE WHEN a.state = 'active' THEN a.query_start END) END)
                       AS oldest,
                   count(*) FILTER (WHERE a.backend_type IS NULL) AS invisible,
                   count(*) FILTER (WHERE a.state = 'disabled') AS untracked
            FROM pg_catalog.pg_stat_activity a
            WHERE a.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
              AND a.pid <> pg_backend_pid()
              AND (a.backend_type IS NULL OR a.backend_type NOT IN ('autovacuum worker', 'walsender'))""";

    private final Duration delay;
    private Instant bound;
    private boolean atStart;
    private boolean warnedUntracked;

    Watermark(Duration delay) {
        this.delay = delay;
    }

    /**
     * Checks that this session can see every other session's transactions, without which the
     * bound would not be safe.
     *
     * @throws CdcException with the GRANT that fixes it
     */
    static void checkVisibility(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT current_user AS who,
                       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS can_read,
                       current_setting('track_activities')::boolean AS tracking""");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            String who = rs.getString("who");
            if (!rs.getBoolean("can_read")) {
                throw notVisible(who);
            }
            if (!rs.getBoolean("tracking")) {
                throw new CdcException("track_activities is off, so pg_stat_activity does not show when "
                        + "transactions started and the timestamp watermark cannot be safe: set "
                        + "track_activities = on in postgresql.conf (or ALTER SYSTEM SET track_activities = on; "
                        + "SELECT pg_reload_conf();).");
            }
        }
    }

    private static CdcException notVisible(String who) {
        return new CdcException("User " + who + " cannot see other sessions' transactions in pg_stat_activity, so a "
                + "long transaction could stay invisible and the timestamp watermark would not be safe: run GRANT "
                + "pg_read_all_stats TO " + TableId.quote(who) + ";");
    }

    /**
     * Probes the server (in autocommit mode, outside the data snapshot) and returns the new bound:
     * rows with a timestamp strictly below it are final.
     */
    Instant advance(Connection c) throws SQLException {
        Instant candidate = probe(c).minus(delay);
        if (bound != null && candidate.isBefore(bound) && !atStart) {
            // Only a server clock that stepped back, or a statement stalled for longer than the
            // delay before it published its start, can do this; rows below the old bound were delivered
            // already, and the lower bound keeps each table's keyset position, so going back is safe.
            LOG.warn("The timestamp watermark moved back from {} to {}: the server clock stepped back or a "
                    + "session stalled; consider cdc.timestamp.delay.", bound, candidate);
        }
        bound = candidate;
        atStart = false;
        return bound;
    }

    /**
     * Probes the server for where a new source starts: the bound without the delay, so that rows
     * written before the start are not delivered as changes (nor, with a snapshot, read twice).
     * The first {@link #advance} may return a lower bound; that is expected and not logged.
     */
    Instant start(Connection c) throws SQLException {
        bound = probe(c);
        atStart = true;
        return bound;
    }

    /** The oldest start in flight, or the probe's own time when none is. */
    private Instant probe(Connection c) throws SQLException {
        Instant probe;
        Instant oldest;
        try (PreparedStatement ps = c.prepareStatement(PROBE); ResultSet rs = ps.executeQuery()) {
            rs.next();
            probe = rs.getObject("probe", OffsetDateTime.class).toInstant();
            OffsetDateTime o = rs.getObject("oldest", OffsetDateTime.class);
            oldest = o == null ? null : o.toInstant();
            if (rs.getLong("invisible") > 0) {
                String who;
                try (PreparedStatement w = c.prepareStatement("SELECT current_user"); ResultSet wr = w.executeQuery()) {
                    wr.next();
                    who = wr.getString(1);
                }
                throw notVisible(who);
            }
            if (rs.getLong("untracked") > 0 && !warnedUntracked) {
                warnedUntracked = true;
                LOG.warn("{} session(s) run with track_activities = off: the watermark waits for them from their "
                        + "connection start. Leave track_activities on for all sessions.", rs.getLong("untracked"));
            }
        }
        // A statement received just before the probe may not have published its start yet: the
        // caller's delay keeps the bound below any start time taken up to that long before the probe.
        return oldest == null ? probe : min(probe, oldest);
    }

    /** The bound last returned, or null before the first probe. */
    Instant current() {
        return bound;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
