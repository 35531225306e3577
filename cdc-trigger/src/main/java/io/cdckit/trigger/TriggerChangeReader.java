package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.CdckitVersion;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.spi.ChangeReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the change log in batches, the way PgQ does: batch n holds the entries of the
 * transactions visible in snapshot S(n) but not in S(n-1), in log id order.
 *
 * <p>Why this is correct: a transaction's entries become visible all at once, when it commits,
 * so a batch never holds part of a transaction, and a transaction that logged early and commits
 * late lands in the batch of its commit instead of being skipped (which an {@code id > last}
 * poll would do). Batches follow commit order. Within a batch, two entries of the same row are
 * in log id order, which is their commit order: the second writer of a row waits for the first
 * one's row lock, so it logs, and commits, after the first committed. Ordering by xid instead
 * would be wrong when an older transaction updates a row after a younger one.
 */
final class TriggerChangeReader implements ChangeReader {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerChangeReader.class);
    private static final Duration RETENTION_SWEEP_EVERY = Duration.ofSeconds(10);

    private final CdcConfig config;
    private final TriggerSettings settings;
    private final Map<Long, CapturedTable> tables = new LinkedHashMap<>();
    private final Set<Long> warnedGone = new HashSet<>();
    private Connection connection;
    private ChangeNotifications notifications;
    private ImageDecoder decoder;
    private InitialSnapshot snapshot;
    private Long[] oids;
    private String database;
    private boolean commitTimestamps;

    private long batch;
    private String prev;
    private String cur;
    private long afterId;
    private long lastRetentionSweep;

    TriggerChangeReader(CdcConfig config, TriggerSettings settings) {
        this.config = config;
        this.settings = settings;
    }

    @Override
    public void open(Position after) throws Exception {
        LogPosition from = after == null ? null : LogPosition.from(after);
        connection = TriggerInstallation.connect(config);
        if (settings.install()) {
            TriggerInstallation.install(connection, settings);
        } else {
            TriggerInstallation.verify(connection, settings);
        }
        TriggerInstallation.checkRunPrivileges(connection, settings);
        lockSourceName();
        for (TableId t : settings.tables()) {
            CapturedTable table = CapturedTable.load(connection, t);
            tables.put(table.oid, table);
        }
        oids = tables.keySet().toArray(new Long[0]);
        decoder = new ImageDecoder(connection);
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_catalog.current_database(), "
                     + "pg_catalog.current_setting('track_commit_timestamp')::boolean")) {
            rs.next();
            database = rs.getString(1);
            commitTimestamps = rs.getBoolean(2);
        }
        notifications = new ChangeNotifications(config, settings.channel());

        if (from != null && !from.snapshotPhase()) {
            batch = from.batch();
            prev = from.prev();
            cur = from.cur();
            afterId = from.id();
            LOG.info("Source '{}' resumes the change log in batch {} after log id {}", config.name(), batch, afterId);
        } else if ("initial".equals(config.get(CdcConfig.SNAPSHOT_MODE))) {
            if (from != null) {
                LOG.info("Source '{}' stopped during its initial snapshot: taking it again", config.name());
            }
            snapshot = new InitialSnapshot(TriggerInstallation.connect(config), List.copyOf(tables.values()),
                    config.name());
            prev = snapshot.snapshot();
        } else {
            prev = currentSnapshot();
            LOG.info("Source '{}' streams changes committed after snapshot {}", config.name(), prev);
        }
    }

    /** One running instance per source name and log: a second one would deliver and delete the same entries. */
    private void lockSourceName() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext(?))")) {
            ps.setString(1, "cdckit:source:" + settings.schema() + ":" + config.name());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new CdcException("Source '" + config.name() + "' is already running against schema "
                            + settings.schema() + " (in this or another process): stop it first, or give this "
                            + "source another cdc.name for other tables.");
                }
            }
        }
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
        if (snapshot != null) {
            List<ChangeEvent> events = snapshot.next(maxEvents);
            if (snapshot.done()) {
                snapshot.close();
                snapshot = null;
            }
            if (!events.isEmpty()) {
                return events;
            }
        }
        List<ChangeEvent> events = readLog(maxEvents);
        if (events.isEmpty()) {
            notifications.await(timeout);
            events = readLog(maxEvents);
        }
        return events;
    }

    private List<ChangeEvent> readLog(int max) throws SQLException {
        while (true) {
            if (cur == null) {
                String next = currentSnapshot();
                if (next.equals(prev)) {
                    return List.of();
                }
                cur = next;
                afterId = 0;
            }
            List<LogEntry> entries = readBatchPage(max);
            boolean exhausted = entries.size() < max;
            List<ChangeEvent> events = toEvents(entries);
            if (exhausted) {
                batch++;
                prev = cur;
                cur = null;
                afterId = 0;
            } else {
                afterId = entries.get(entries.size() - 1).id;
            }
            if (!events.isEmpty() || exhausted) {
                return events;
            }
        }
    }

    /** One log entry. */
    private record LogEntry(long id, long xid, long relid, char op, String oldRow, String newRow, Long commitMs) {
    }

    private List<LogEntry> readBatchPage(int max) throws SQLException {
        String sql = """
                SELECT id, xid::text, relid, op, old_row, new_row%s
                FROM %s
                WHERE xid >= pg_catalog.pg_snapshot_xmin(?::pg_catalog.pg_snapshot)
                  AND xid < pg_catalog.pg_snapshot_xmax(?::pg_catalog.pg_snapshot)
                  AND pg_catalog.pg_visible_in_snapshot(xid, ?::pg_catalog.pg_snapshot)
                  AND NOT pg_catalog.pg_visible_in_snapshot(xid, ?::pg_catalog.pg_snapshot)
                  AND relid = ANY (?) AND id > ?
                ORDER BY id
                LIMIT ?""".formatted(commitTimestamps
                ? ", (EXTRACT(EPOCH FROM pg_catalog.pg_xact_commit_timestamp(pg_catalog.xid(xid))) * 1000)::bigint" : "",
                settings.log());
        List<LogEntry> out = new ArrayList<>();
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, prev);
            ps.setString(2, cur);
            ps.setString(3, cur);
            ps.setString(4, prev);
            ps.setArray(5, relids);
            ps.setLong(6, afterId);
            ps.setInt(7, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Long commitMs = null;
                    if (commitTimestamps) {
                        long ms = rs.getLong(7);
                        commitMs = rs.wasNull() ? null : ms;
                    }
                    out.add(new LogEntry(rs.getLong(1), Long.parseUnsignedLong(rs.getString(2)), rs.getLong(3),
                            rs.getString(4).charAt(0), rs.getString(5), rs.getString(6), commitMs));
                }
            }
        } finally {
            relids.free();
        }
        return out;
    }

    private List<ChangeEvent> toEvents(List<LogEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return List.of();
        }
        Map<Long, List<String>> imagesByTable = new LinkedHashMap<>();
        for (LogEntry e : entries) {
            List<String> images = imagesByTable.computeIfAbsent(e.relid, k -> new ArrayList<>());
            if (e.oldRow != null) {
                images.add(e.oldRow);
            }
            if (e.newRow != null) {
                images.add(e.newRow);
            }
        }
        Map<Long, List<Map<String, Object>>> decoded = new LinkedHashMap<>();
        for (Map.Entry<Long, List<String>> t : imagesByTable.entrySet()) {
            CapturedTable table = tables.get(t.getKey());
            List<Map<String, Object>> rows = decoder.decode(table, t.getValue());
            if (rows == null && warnedGone.add(table.oid)) {
                LOG.warn("Captured table {} (oid {}) was dropped: its log entries that were not read before the "
                        + "drop are skipped, and no more come. Remove it from cdc.tables.", table.id, table.oid);
            }
            decoded.put(t.getKey(), rows);
        }
        Map<Long, Integer> next = new LinkedHashMap<>();
        List<ChangeEvent> events = new ArrayList<>(entries.size());
        for (LogEntry e : entries) {
            CapturedTable table = tables.get(e.relid);
            List<Map<String, Object>> rows = decoded.get(e.relid);
            if (rows == null) {
                continue;
            }
            int i = next.getOrDefault(e.relid, 0);
            Map<String, Object> before = e.oldRow == null ? null : rows.get(i++);
            Map<String, Object> after = e.newRow == null ? null : rows.get(i++);
            next.put(e.relid, i);
            Op op = switch (e.op) {
                case 'I' -> Op.CREATE;
                case 'U' -> Op.UPDATE;
                case 'D' -> Op.DELETE;
                case 'T' -> Op.TRUNCATE;
                default -> throw new CdcException("Unknown operation '" + e.op + "' in log entry " + e.id
                        + " of schema " + settings.schema() + ": the log was written by a newer cdckit; upgrade.");
            };
            Map<String, Object> key = op == Op.TRUNCATE ? Map.of() : table.schema.keyOf(after != null ? after : before);
            SourceInfo source = new SourceInfo(CdckitVersion.get(), TriggerChangeSourceProvider.MODE, config.name(),
                    e.commitMs, SourceInfo.SNAPSHOT_FALSE, database, table.id.schema(), table.id.table(),
                    e.xid & 0xFFFF_FFFFL, null, null, Long.toString(e.id));
            Position position = new LogPosition(false, batch, prev, cur, e.id).toPosition();
            events.add(new ChangeEvent(op, before, after, key, source, System.currentTimeMillis(), null, position));
        }
        return events;
    }

    private String currentSnapshot() throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_snapshot()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Releases the log entries up to {@code position}: deletes them (cdc.trigger.retention=0), or,
     * with a retention, deletes consumed entries older than it, at most every few seconds.
     */
    @Override
    public void committed(Position position) throws Exception {
        LogPosition p = LogPosition.from(position);
        if (p.snapshotPhase()) {
            return;
        }
        boolean retain = !settings.retention().isZero();
        if (retain) {
            long now = System.currentTimeMillis();
            if (now - lastRetentionSweep < Math.min(RETENTION_SWEEP_EVERY.toMillis(), settings.retention().toMillis())) {
                return;
            }
            lastRetentionSweep = now;
        }
        String upTo = p.cur() != null ? p.cur() : p.prev();
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement("""
                DELETE FROM %s
                WHERE relid = ANY (?) AND xid < pg_catalog.pg_snapshot_xmax(?::pg_catalog.pg_snapshot)
                  AND (pg_catalog.pg_visible_in_snapshot(xid, ?::pg_catalog.pg_snapshot)
                       OR (pg_catalog.pg_visible_in_snapshot(xid, ?::pg_catalog.pg_snapshot) AND id <= ?))%s"""
                .formatted(settings.log(), retain ? "\n  AND logged_at < pg_catalog.now() - ? * interval '1 millisecond'" : ""))) {
            ps.setArray(1, relids);
            ps.setString(2, upTo);
            ps.setString(3, p.prev());
            ps.setString(4, upTo);
            ps.setLong(5, p.cur() != null ? p.id() : 0);
            if (retain) {
                ps.setLong(6, settings.retention().toMillis());
            }
            int deleted = ps.executeUpdate();
            LOG.debug("Source '{}' released {} log entries up to {}", config.name(), deleted, position.fields());
        } finally {
            relids.free();
        }
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (AutoCloseable c : new AutoCloseable[] {snapshot, notifications, connection}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
