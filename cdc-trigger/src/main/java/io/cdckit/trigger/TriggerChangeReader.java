package io.cdckit.trigger;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.RowFilters;
import io.cdckit.api.CdcException;
import io.cdckit.api.CdckitVersion;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.SourceLock;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.WholeTransactions;
import io.cdckit.trigger.ChangeLogCursor.EntryRef;
import io.cdckit.trigger.ChangeLogCursor.LogEntry;
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
    /** First wait for a notification while a capturing transaction that may not notify is in flight. */
    private static final Duration MIN_IN_FLIGHT_WAIT = Duration.ofMillis(5);
    private static final Duration RETENTION_SWEEP_EVERY = Duration.ofSeconds(10);
    /**
     * How often consumed entries are also released by visibility, not only by row address: picks up
     * entries delivered before a crash, and any whose address changed (VACUUM FULL of the log).
     */
    private static final Duration SWEEP_EVERY = Duration.ofSeconds(60);

    private final CdcConfig config;
    private final TriggerSettings settings;
    /** {@code cdc.filter.*}, evaluated by the server on the logged images as they are decoded. */
    private final RowFilters filters;
    private final SourceConnections connections;
    private final ChangeLogBacklog backlog;
    private final Map<Long, CapturedTable> tables = new LinkedHashMap<>();
    private final Set<Long> warnedGone = new HashSet<>();
    private Connection connection;
    private ChangeNotifications notifications;
    /** Null with {@code cdc.trigger.notify=false}. */
    private ReaderPresence presence;
    private Duration inFlightWait = MIN_IN_FLIGHT_WAIT;
    private ImageDecoder decoder;
    private final ChunkedSnapshot snapshots;
    private Long[] oids;
    private String database;
    private boolean commitTimestamps;

    private Position startPosition;
    /** Where the reader stands in the log; made once the connection and the tables are known. */
    private ChangeLogCursor cursor;
    /** cdc.batch.transactions=whole: return whole transactions only, numbered. */
    private final boolean wholeTransactions;
    private final OpenTransactions open = new OpenTransactions();
    /** Whole transactions: entries of the current batch read but not delivered yet, in log id order. */
    private List<LogEntry> carry = List.of();
    private long lastSweep;

    /** Entries read since the last {@link #committed}, to delete when it comes (retention zero). */
    private final List<EntryRef> unreleased = new ArrayList<>();

    TriggerChangeReader(CdcConfig config, TriggerSettings settings, SourceConnections connections,
                        ChangeLogBacklog backlog) {
        this.config = config;
        this.settings = settings;
        this.connections = connections;
        this.backlog = backlog;
        this.filters = RowFilters.of(config);
        this.wholeTransactions = WholeTransactions.requested(config);
        this.snapshots = new ChunkedSnapshot(config.name(), settings.tables(), config.get(CdcConfig.SNAPSHOT_CHUNK_SIZE),
                filters);
    }

    @Override
    public void open(Position after) throws Exception {
        LogPosition from = after == null ? null : LogPosition.from(after);
        try (Connection setup = connections.borrow()) {
            if (settings.install()) {
                TriggerInstallation.install(setup, settings);
            } else {
                TriggerInstallation.verify(setup, settings);
            }
        }
        // holds the source's lock and the reading locks: a connection of its own
        connection = connections.open("change log reader");
        TriggerInstallation.checkRunPrivileges(connection, settings);
        lockSourceName();
        for (TableId t : settings.tables()) {
            CapturedTable table = CapturedTable.load(connection, t, config.get(CdcConfig.KEY_COLUMNS));
            tables.put(table.oid, table);
        }
        oids = tables.keySet().toArray(new Long[0]);
        backlog.tables(oids);
        backlog.committed(from);
        decoder = new ImageDecoder(connection);
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_catalog.current_database(), "
                     + "pg_catalog.current_setting('track_commit_timestamp')::boolean, "
                     + "pg_catalog.current_setting('max_prepared_transactions')::integer")) {
            rs.next();
            database = rs.getString(1);
            commitTimestamps = rs.getBoolean(2);
            snapshots.tables(tables.values(), database);
            if (settings.notifyReader() && rs.getInt(3) > 0) {
                LOG.warn("The server allows prepared transactions (max_prepared_transactions = {}), and the triggers "
                        + "in schema {} send NOTIFY, after which PostgreSQL refuses PREPARE TRANSACTION: if "
                        + "applications write {} in two-phase transactions, set cdc.trigger.notify=false.",
                        rs.getInt(3), settings.schema(), settings.tables());
            }
        }
        cursor = new ChangeLogCursor(connection, settings.log(), oids, commitTimestamps, config.name());
        notifications = new ChangeNotifications(connections, settings.channel());
        if (settings.notifyReader()) {
            presence = ReaderPresence.of(connection, settings.schema(), tables.keySet());
        }

        boolean initial = "initial".equals(config.get(CdcConfig.SNAPSHOT_MODE));
        if (from != null && !from.snapshotPhase()) {
            cursor.resume(from);
            snapshots.resume(after, initial);
            LOG.info("Source '{}' resumes the change log in batch {} after log id {}", config.name(), from.batch(),
                    from.id());
        } else {
            if (from != null) {
                LOG.info("Source '{}' stopped during a snapshot of an earlier version: taking it again", config.name());
            }
            cursor.startNow();
            if (initial) {
                snapshots.begin(settings.tables());
            }
            startPosition = position(LogPosition.after(0, cursor.prev()));
            LOG.info("Source '{}' streams changes committed after snapshot {}{}", config.name(), cursor.prev(),
                    initial ? ", while a chunked snapshot reads the rows of " + settings.tables() : "");
        }
    }

    /** Batch 0 after the snapshot a fresh source started streaming from, with its snapshot not begun; null for a resumed source. */
    @Override
    public Position startPosition() {
        return startPosition;
    }

    /** One running instance per source name and log: a second one would deliver and delete the same entries. */
    private void lockSourceName() throws SQLException {
        SourceLock.acquire(connection, "cdckit:source:" + settings.schema() + ":" + config.name(), "Source '"
                + config.name() + "' is already running against schema " + settings.schema() + " (in this or another "
                + "process): stop it first, or give this source another cdc.name for other tables.");
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
        if (snapshots.hasReadyRows()) {
            return snapshots.take(maxEvents);
        }
        if (cursor.betweenBatches() && snapshots.wantsChunk()) {
            // the chunk's own snapshot closes the next batch: after the batch, the chunk's rows are exactly as current
            cursor.openBatch(snapshots.readChunk(connections));
        }
        if (snapshots.chunkPending()) {
            if (presence != null) {
                presence.reading(connection);
            }
            List<ChangeEvent> events = readLog(maxEvents);
            if (cursor.betweenBatches()) {
                snapshots.batchClosed(LogPosition.after(cursor.batch(), cursor.prev()).toPosition());
                List<ChangeEvent> out = new ArrayList<>(events);
                out.addAll(snapshots.take(maxEvents - events.size()));
                return out;
            }
            return events;
        }
        if (presence != null) {
            presence.reading(connection);
        }
        List<ChangeEvent> events = readLog(maxEvents);
        if (!events.isEmpty()) {
            inFlightWait = MIN_IN_FLIGHT_WAIT;
            return events;
        }
        Duration wait = timeout;
        if (presence != null) {
            boolean quiet = presence.idle(connection);
            // a transaction that skipped its NOTIFY while this reader read may have committed meanwhile
            events = readLog(maxEvents);
            if (!events.isEmpty()) {
                inFlightWait = MIN_IN_FLIGHT_WAIT;
                return events;
            }
            if (quiet) {
                inFlightWait = MIN_IN_FLIGHT_WAIT;
            } else {
                // such a transaction may still commit without notifying: look again soon, less often the longer it runs
                wait = inFlightWait.compareTo(timeout) < 0 ? inFlightWait : timeout;
                inFlightWait = wait.multipliedBy(2);
            }
        }
        notifications.await(wait);
        if (presence != null) {
            presence.reading(connection);
        }
        return readLog(maxEvents);
    }

    private List<ChangeEvent> readLog(int max) throws SQLException {
        if (wholeTransactions) {
            return readWhole(max);
        }
        while (true) {
            if (cursor.betweenBatches() && !cursor.openBatch()) {
                return List.of();
            }
            List<LogEntry> entries = cursor.page(max);
            boolean exhausted = cursor.exhausted(entries, max);
            for (LogEntry e : entries) {
                unreleased.add(new EntryRef(e.ctid(), e.id()));
            }
            List<ChangeEvent> events = toEvents(entries);
            if (exhausted) {
                cursor.closeBatch();
            } else if (!entries.isEmpty()) {
                cursor.advance(entries.get(entries.size() - 1).id());
            }
            if (!events.isEmpty() || exhausted) {
                return events;
            }
        }
    }

    /**
     * {@code cdc.batch.transactions=whole}: like {@link #readLog}, but the events returned end where
     * no transaction is open. A batch that fits a page is whole by itself. In a larger one, pages
     * are read until a cut is found: after the most entries, up to {@code max}, that hold whole
     * transactions only, or, when the first transaction alone is larger, right after it. The
     * entries read beyond the cut wait in {@link #carry} for the next poll (they are not released
     * before they are delivered); the batch is closed once its last entry was delivered.
     */
    private List<ChangeEvent> readWhole(int max) throws SQLException {
        while (true) {
            List<LogEntry> held = new ArrayList<>(carry);
            carry = List.of();
            open.startPoll();
            int walked = 0;
            // the longest prefix of whole transactions within max so far, and where to cut
            int lastComplete = 0;
            int cut = -1;
            boolean exhausted = false;
            while (cut < 0) {
                if (cursor.betweenBatches()) {
                    if (!cursor.openBatch()) {
                        return List.of();
                    }
                    open.reset();
                }
                if (open.counted()) {
                    for (; walked < held.size() && cut < 0; walked++) {
                        if (open.walk(held.get(walked).xid())) {
                            int n = walked + 1;
                            if (n < max) {
                                lastComplete = n;
                            } else {
                                cut = n == max || lastComplete == 0 ? n : lastComplete;
                            }
                        }
                    }
                }
                if (cut >= 0 || exhausted) {
                    break;
                }
                List<LogEntry> page = cursor.page(max);
                exhausted = cursor.exhausted(page, max);
                if (!exhausted && !open.counted()) {
                    open.count(cursor.entriesByXid());
                }
                if (!page.isEmpty()) {
                    cursor.advance(page.get(page.size() - 1).id());
                }
                held.addAll(page);
                if (exhausted && !open.counted()) {
                    break; // the batch fits a page: whole as it is
                }
            }
            List<LogEntry> delivered = cut >= 0 ? held.subList(0, cut) : held;
            carry = cut >= 0 ? List.copyOf(held.subList(cut, held.size())) : List.of();
            for (LogEntry e : delivered) {
                unreleased.add(new EntryRef(e.ctid(), e.id()));
            }
            List<ChangeEvent> events = WholeTransactions.number(toEvents(delivered));
            boolean batchDone = exhausted && carry.isEmpty();
            if (batchDone) {
                cursor.closeBatch();
                open.reset();
            }
            if (!events.isEmpty() || batchDone) {
                return events;
            }
        }
    }

    private List<ChangeEvent> toEvents(List<LogEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return List.of();
        }
        Map<Long, List<String>> imagesByTable = new LinkedHashMap<>();
        for (LogEntry e : entries) {
            List<String> images = imagesByTable.computeIfAbsent(e.relid(), k -> new ArrayList<>());
            if (e.oldRow() != null) {
                images.add(e.oldRow());
            }
            if (e.newRow() != null) {
                images.add(e.newRow());
            }
        }
        Map<Long, List<Map<String, Object>>> decoded = new LinkedHashMap<>();
        Map<Long, List<Boolean>> matched = new LinkedHashMap<>();
        for (Map.Entry<Long, List<String>> t : imagesByTable.entrySet()) {
            CapturedTable table = tables.get(t.getKey());
            List<Boolean> matches = new ArrayList<>();
            List<Map<String, Object>> rows = decoder.decode(table, t.getValue(), filters.of(table.id), matches);
            matched.put(t.getKey(), matches);
            if (rows == null && warnedGone.add(table.oid)) {
                LOG.warn("Captured table {} (oid {}) was dropped: its log entries that were not read before the "
                        + "drop are skipped, and no more come. Remove it from cdc.tables.", table.id, table.oid);
            }
            decoded.put(t.getKey(), rows);
        }
        Map<Long, Integer> next = new LinkedHashMap<>();
        List<ChangeEvent> events = new ArrayList<>(entries.size());
        for (LogEntry e : entries) {
            CapturedTable table = tables.get(e.relid());
            List<Map<String, Object>> rows = decoded.get(e.relid());
            if (rows == null) {
                continue;
            }
            int i = next.getOrDefault(e.relid(), 0);
            List<Boolean> matches = matched.get(e.relid());
            boolean filtered = !matches.isEmpty();
            boolean beforeMatches = e.oldRow() != null && filtered && matches.get(i);
            Map<String, Object> before = e.oldRow() == null ? null : rows.get(i++);
            boolean afterMatches = e.newRow() != null && filtered && matches.get(i);
            Map<String, Object> after = e.newRow() == null ? null : rows.get(i++);
            next.put(e.relid(), i);
            Op op = switch (e.op()) {
                case 'I' -> Op.CREATE;
                case 'U' -> Op.UPDATE;
                case 'D' -> Op.DELETE;
                case 'T' -> Op.TRUNCATE;
                default -> throw new CdcException("Unknown operation '" + e.op() + "' in log entry " + e.id()
                        + " of schema " + settings.schema() + ": the log was written by a newer cdckit; upgrade.");
            };
            if (filtered) {
                // cdc.filter.*: PostgreSQL's rule for publication row filters
                Op kept = RowFilters.outcome(op, beforeMatches, afterMatches);
                if (kept == null) {
                    continue;
                }
                if (kept != op) {
                    before = kept == Op.DELETE ? before : null;
                    after = kept == Op.CREATE ? after : null;
                    op = kept;
                }
            }
            Map<String, Object> key = op == Op.TRUNCATE ? Map.of() : table.schema.keyOf(after != null ? after : before);
            SourceInfo source = new SourceInfo(CdckitVersion.get(), TriggerChangeSourceProvider.MODE, config.name(),
                    e.commitMs(), SourceInfo.SNAPSHOT_FALSE, database, table.id.schema(), table.id.table(),
                    e.xid() & 0xFFFF_FFFFL, null, null, Long.toString(e.id()));
            Position position = position(cursor.after(e.id()));
            events.add(new ChangeEvent(op, before, after, key, source, System.currentTimeMillis(), null, position));
        }
        return events;
    }

    /** {@code p} with the snapshot's progress and the captured tables, which every position of this reader carries. */
    private Position position(LogPosition p) {
        return snapshots.position(p.toPosition());
    }

    @Override
    public io.cdckit.api.SnapshotProgress snapshotProgress() {
        return snapshots.progress();
    }

    @Override
    public void snapshot(List<TableId> requested) {
        snapshots.request(requested);
    }

    /**
     * Releases the log entries up to {@code position}. With {@code cdc.trigger.retention=0} the
     * entries read since the last call are deleted by row address (checked against their ids), and
     * at the first call, every minute, and when some entries were not found at their address,
     * everything up to the position is also deleted by visibility, which catches entries delivered
     * before a restart or moved by a rewrite of the log. With a retention, consumed
     * entries older than it are deleted by visibility every few seconds.
     */
    @Override
    public Backlog backlog() throws Exception {
        return backlog.measure();
    }

    @Override
    public void committed(Position position) throws Exception {
        LogPosition p = LogPosition.from(position);
        backlog.committed(p);
        if (p.snapshotPhase()) {
            return;
        }
        boolean retain = !settings.retention().isZero();
        long now = System.currentTimeMillis();
        if (retain) {
            unreleased.clear();
            if (now - lastSweep >= Math.min(RETENTION_SWEEP_EVERY.toMillis(), settings.retention().toMillis())) {
                lastSweep = now;
                sweep(p, true);
            }
            return;
        }
        boolean moved = !unreleased.isEmpty() && !deleteByAddress();
        if (moved || lastSweep == 0 || now - lastSweep >= SWEEP_EVERY.toMillis()) {
            lastSweep = now;
            sweep(p, false);
        }
    }

    /** Deletes the entries read since the last call by address; false when some were no longer there. */
    private boolean deleteByAddress() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + settings.log() + " l USING "
                + ChangeLogCursor.ADDRESSES + " AS d(t, i) WHERE l.ctid = d.t AND l.id = d.i");
             ChangeLogCursor.Addresses a = ChangeLogCursor.Addresses.of(connection, unreleased)) {
            a.bind(ps);
            int deleted = ps.executeUpdate();
            LOG.debug("Source '{}' released {} of {} log entries read", config.name(), deleted, unreleased.size());
            return deleted == unreleased.size();
        } finally {
            unreleased.clear();
        }
    }

    /** Deletes, by visibility, the entries up to {@code p}; with {@code retained}, only those older than the retention. */
    private void sweep(LogPosition p, boolean retained) throws SQLException {
        String upTo = p.cur() != null ? p.cur() : p.prev();
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement("""
                DELETE FROM %s
                WHERE relid = ANY (?) AND xid < pg_catalog.pg_snapshot_xmax(?::pg_catalog.pg_snapshot)
                  AND (pg_catalog.pg_visible_in_snapshot(xid, ?::pg_catalog.pg_snapshot)
                       OR (pg_catalog.pg_visible_in_snapshot(xid, ?::pg_catalog.pg_snapshot) AND id <= ?))%s"""
                .formatted(settings.log(), retained ? "\n  AND logged_at < pg_catalog.now() - ? * interval '1 millisecond'" : ""))) {
            ps.setArray(1, relids);
            ps.setString(2, upTo);
            ps.setString(3, p.prev());
            ps.setString(4, upTo);
            ps.setLong(5, p.cur() != null ? p.id() : 0);
            if (retained) {
                ps.setLong(6, settings.retention().toMillis());
            }
            int deleted = ps.executeUpdate();
            LOG.debug("Source '{}' swept {} log entries up to {}", config.name(), deleted, p);
        } finally {
            relids.free();
        }
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (AutoCloseable c : new AutoCloseable[] {notifications, connection}) {
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
