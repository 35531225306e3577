package io.cdckit.trigger;

import io.cdckit.api.Backlog;
import io.cdckit.api.jdbc.SourceConnections;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a trigger source has waiting: the committed change-log entries of its tables that it has
 * not delivered yet (by the last committed position), the oldest one's age, and the log's size
 * on disk. Measured on a borrowed connection, from any thread; entries of transactions still open
 * are not counted, as they cannot be read yet.
 */
final class ChangeLogBacklog {

    private final SourceConnections connections;
    private final TriggerSettings settings;
    private final Duration maxEntryAge;
    private volatile Long[] oids = new Long[0];
    private volatile LogPosition committed;

    ChangeLogBacklog(SourceConnections connections, TriggerSettings settings, Duration maxEntryAge) {
        this.connections = connections;
        this.settings = settings;
        this.maxEntryAge = maxEntryAge;
    }

    /** The captured tables' oids, once the reader knows them. */
    void tables(Long[] tableOids) {
        this.oids = tableOids.clone();
    }

    /** Everything up to {@code position} was delivered and committed. */
    void committed(LogPosition position) {
        this.committed = position;
    }

    Backlog measure() throws SQLException {
        LogPosition p = committed;
        boolean byPosition = p != null && !p.snapshotPhase();
        String delivered = byPosition
                ? " AND NOT (pg_catalog.pg_visible_in_snapshot(l.xid, ?::pg_snapshot)"
                + " OR (pg_catalog.pg_visible_in_snapshot(l.xid, ?::pg_snapshot) AND l.id <= ?))"
                : "";
        try (Connection c = connections.borrow(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*), (extract(epoch FROM pg_catalog.now() - min(l.logged_at)) * 1000)::bigint,"
                        + " pg_catalog.pg_total_relation_size(?::regclass) FROM " + settings.log() + " l"
                        + " WHERE l.relid = ANY(?) AND pg_catalog.pg_visible_in_snapshot(l.xid, pg_catalog.pg_current_snapshot())"
                        + delivered)) {
            ps.setString(1, settings.log());
            ps.setArray(2, c.createArrayOf("oid", oids));
            if (byPosition) {
                ps.setString(3, p.prev());
                ps.setString(4, p.cur());
                ps.setLong(5, p.id());
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long pending = rs.getLong(1);
                long age = rs.getLong(2);
                Long oldest = rs.wasNull() ? null : age;
                long size = rs.getLong(3);
                List<String> warnings = new ArrayList<>();
                if (oldest != null && oldest > maxEntryAge.toMillis()) {
                    warnings.add("the oldest of " + pending + " change-log entries not yet delivered is " + oldest
                            + " ms old (cdc.trigger.max-entry-age=" + maxEntryAge.toMillis() + " ms)");
                }
                return Backlog.changeLog(pending, size, oldest, warnings);
            }
        }
    }
}
