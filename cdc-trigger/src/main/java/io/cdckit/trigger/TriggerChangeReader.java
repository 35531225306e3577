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
    /** Entries of a large batch whose addresses are fetched at once, so the batch is not scanned per page. */
    private static final int BATCH_REST_CHUNK = 100_000;

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
    /** A page of the current batch by visibility, and by address; built once the columns are known. */
    private String byVisibilitySql;
    private String byAddressSql;

    private Position startPosition;
    private long batch;
    private String prev;
    private String cur;
    private long afterId;
    /** cdc.batch.transactions=whole: return whole transactions only, numbered. */
    private final boolean wholeTransactions;
    private final OpenTransactions open = new OpenTransactions();
    /** Whole transactions: entries of the current batch read but not delivered yet, in log id order. */
    private List<LogEntry> carry = List.of();
    private long lastSweep;

    /** The rest of a large batch, in log id order, once one page came back full: where to find each entry. */
    private List<EntryRef> batchRest = List.of();
    private int batchRestPos;
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
        String columns = "l.id, l.ctid::text, l.xid::text, l.relid, l.op, l.old_row, l.new_row" + (commitTimestamps
                ? ", (EXTRACT(EPOCH FROM pg_catalog.pg_xact_commit_timestamp(pg_catalog.xid(l.xid))) * 1000)::bigint"
                : "");
        byVisibilitySql = "SELECT " + columns + " FROM " + settings.log() + " l WHERE " + IN_BATCH
                + " ORDER BY l.id LIMIT ?";
        byAddressSql = "SELECT " + columns + " FROM " + ADDRESSES + " WITH ORDINALITY AS d(t, i, n) JOIN "
                + settings.log() + " l ON l.ctid = d.t AND l.id = d.i ORDER BY d.n";
        notifications = new ChangeNotifications(connections, settings.channel());
        if (settings.notifyReader()) {
            presence = ReaderPresence.of(connection, settings.schema(), tables.keySet());
        }

        boolean initial = "initial".equals(config.get(CdcConfig.SNAPSHOT_MODE));
        if (from != null && !from.snapshotPhase()) {
            batch = from.batch();
            prev = from.prev();
            cur = from.cur();
            afterId = from.id();
            snapshots.resume(after, initial);
            LOG.info("Source '{}' resumes the change log in batch {} after log id {}", config.name(), batch, afterId);
        } else {
            if (from != null) {
                LOG.info("Source '{}' stopped during a snapshot of an earlier version: taking it again", config.name());
            }
            prev = currentSnapshot();
            if (initial) {
                snapshots.begin(settings.tables());
            }
            startPosition = position(LogPosition.after(0, prev));
            LOG.info("Source '{}' streams changes committed after snapshot {}{}", config.name(), prev,
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
        if (cur == null && snapshots.wantsChunk()) {
            // the chunk's own snapshot closes the next batch: after the batch, the chunk's rows are exactly as current
            cur = snapshots.readChunk(connections);
            afterId = 0;
            batchRest = List.of();
            batchRestPos = 0;
        }
        if (snapshots.chunkPending()) {
            if (presence != null) {
                presence.reading(connection);
            }
            List<ChangeEvent> events = readLog(maxEvents);
            if (cur == null) {
                snapshots.batchClosed(LogPosition.after(batch, prev).toPosition());
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
            if (cur == null && !openBatch()) {
                return List.of();
            }
            List<LogEntry> entries = readPage(max);
            boolean exhausted = entries.size() < max && batchRestPos >= batchRest.size();
            for (LogEntry e : entries) {
                unreleased.add(new EntryRef(e.ctid, e.id));
            }
            List<ChangeEvent> events = toEvents(entries);
            if (exhausted) {
                closeBatch();
            } else if (!entries.isEmpty()) {
                afterId = entries.get(entries.size() - 1).id;
            }
            if (!events.isEmpty() || exhausted) {
                return events;
            }
        }
    }

    /** Begins the next batch at a new snapshot; false when nothing committed since the last one. */
    private boolean openBatch() throws SQLException {
        String next = currentSnapshot();
        if (next.equals(prev)) {
            return false;
        }
        cur = next;
        afterId = 0;
        batchRest = List.of();
        batchRestPos = 0;
        open.reset();
        return true;
    }

    /** The current batch was read to its end: the next one starts after its snapshot. */
    private void closeBatch() {
        batch++;
        prev = cur;
        cur = null;
        afterId = 0;
        batchRest = List.of();
        batchRestPos = 0;
        open.reset();
    }

    /**
     * {@code cdc.batch.transactions=whole}: like {@link #readLog}, but the events returned end where
     * no transaction is open. A batch that fits a page is whole by itself. In a larger one, pages
     * are read until, at or after {@code max} entries, every transaction read so far is complete;
     * the entries read beyond that point wait in {@link #carry} for the next poll (they are not
     * released before they are delivered).
     */
    private List<ChangeEvent> readWhole(int max) throws SQLException {
        while (true) {
            List<LogEntry> held = new ArrayList<>(carry);
            carry = List.of();
            open.startPoll();
            int walked = 0;
            int cut = -1;
            boolean exhausted = false;
            while (cut < 0 && !exhausted) {
                if (cur == null && !openBatch()) {
                    return List.of();
                }
                if (open.counted()) {
                    for (; walked < held.size() && cut < 0; walked++) {
                        if (open.walk(held.get(walked).xid) && walked + 1 >= max) {
                            cut = walked + 1;
                        }
                    }
                    if (cut >= 0) {
                        break;
                    }
                }
                List<LogEntry> page = readPage(max);
                exhausted = page.size() < max && batchRestPos >= batchRest.size();
                if (!exhausted) {
                    if (!open.counted()) {
                        open.count(entriesByXid());
                    }
                    afterId = page.get(page.size() - 1).id;
                }
                held.addAll(page);
            }
            List<LogEntry> delivered = exhausted ? held : held.subList(0, cut);
            carry = exhausted ? List.of() : List.copyOf(held.subList(cut, held.size()));
            for (LogEntry e : delivered) {
                unreleased.add(new EntryRef(e.ctid, e.id));
            }
            List<ChangeEvent> events = WholeTransactions.number(toEvents(delivered));
            if (exhausted) {
                closeBatch();
            }
            if (!events.isEmpty() || exhausted) {
                return events;
            }
        }
    }

    /**
     * Whole transactions: the entries per xid of the current batch after {@code afterId} (the page
     * just read included), in one scan of the batch's xid range.
     */
    private Map<Long, Long> entriesByXid() throws SQLException {
        String sql = "SELECT l.xid::text, pg_catalog.count(*) FROM " + settings.log() + " l WHERE " + IN_BATCH
                + " GROUP BY l.xid";
        Map<Long, Long> counts = new java.util.HashMap<>();
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindInBatch(ps, relids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(Long.parseUnsignedLong(rs.getString(1)), rs.getLong(2));
                }
            }
        } finally {
            relids.free();
        }
        return counts;
    }

    /** One log entry; {@code ctid} is where the row was read, for reading or deleting it again cheaply. */
    private record LogEntry(long id, String ctid, long xid, long relid, char op, String oldRow, String newRow,
                            Long commitMs) {
    }

    /** Where a log entry lives: its row address, checked against its id before it is trusted. */
    private record EntryRef(String ctid, long id) {
    }

    /** Pairs of (row address, id), bound as a text[] of ctids and a bigint[] of ids. */
    private static final String ADDRESSES =
            "ROWS FROM (pg_catalog.unnest(?::pg_catalog.tid[]), pg_catalog.unnest(?::bigint[]))";

    /** The entries of the current batch (visible in cur, not in prev) after {@code afterId}, of the captured tables. */
    private static final String IN_BATCH = """
            l.xid >= pg_catalog.pg_snapshot_xmin(?::pg_catalog.pg_snapshot)
              AND l.xid < pg_catalog.pg_snapshot_xmax(?::pg_catalog.pg_snapshot)
              AND pg_catalog.pg_visible_in_snapshot(l.xid, ?::pg_catalog.pg_snapshot)
              AND NOT pg_catalog.pg_visible_in_snapshot(l.xid, ?::pg_catalog.pg_snapshot)
              AND l.relid = ANY (?) AND l.id > ?""";

    private int bindInBatch(PreparedStatement ps, Array relids) throws SQLException {
        ps.setString(1, prev);
        ps.setString(2, cur);
        ps.setString(3, cur);
        ps.setString(4, prev);
        ps.setArray(5, relids);
        ps.setLong(6, afterId);
        return 7;
    }

    /**
     * The next page of the current batch. A batch that fits a page (the usual case) costs one scan of
     * its xid range. Once a page comes back full, the addresses of the rest of the batch are fetched
     * in id order in one scan (in chunks), and pages are read by address from then on: a large batch
     * is then scanned once per chunk instead of once per page.
     */
    private List<LogEntry> readPage(int max) throws SQLException {
        if (batchRestPos < batchRest.size()) {
            List<LogEntry> page = readByAddress(max);
            if (page != null) {
                return page;
            }
        }
        List<LogEntry> page = readByVisibility(max);
        if (page.size() == max) {
            batchRest = fetchBatchRest(page.get(page.size() - 1).id);
            batchRestPos = 0;
        }
        return page;
    }

    private List<LogEntry> readByVisibility(int max) throws SQLException {
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement(byVisibilitySql)) {
            ps.setInt(bindInBatch(ps, relids), max);
            return entries(ps);
        } finally {
            relids.free();
        }
    }

    private List<EntryRef> fetchBatchRest(long after) throws SQLException {
        String sql = "SELECT l.ctid::text, l.id FROM " + settings.log() + " l WHERE " + IN_BATCH
                + " ORDER BY l.id LIMIT ?";
        List<EntryRef> rest = new ArrayList<>();
        Array relids = connection.createArrayOf("oid", oids);
        long saved = afterId;
        afterId = after;
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setInt(bindInBatch(ps, relids), BATCH_REST_CHUNK);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rest.add(new EntryRef(rs.getString(1), rs.getLong(2)));
                }
            }
        } finally {
            afterId = saved;
            relids.free();
        }
        LOG.debug("Source '{}' reads a large batch by address: {} more entries", config.name(), rest.size());
        return rest;
    }

    /**
     * The next page from the fetched addresses, or null when an entry is no longer where it was read
     * (the log was rewritten, e.g. by VACUUM FULL): the caller then reads by visibility again.
     */
    private List<LogEntry> readByAddress(int max) throws SQLException {
        int end = Math.min(batchRest.size(), batchRestPos + max);
        List<EntryRef> refs = batchRest.subList(batchRestPos, end);
        List<LogEntry> page;
        try (PreparedStatement ps = connection.prepareStatement(byAddressSql)) {
            try (Addresses a = addresses(refs)) {
                a.bind(ps);
                page = entries(ps);
            }
        }
        if (page.size() < refs.size()) {
            LOG.info("Source '{}': log entries moved while a batch was read (the log was rewritten); reading the rest "
                    + "of the batch by visibility", config.name());
            batchRest = List.of();
            batchRestPos = 0;
            return null;
        }
        batchRestPos = end;
        if (batchRestPos == batchRest.size() && batchRest.size() == BATCH_REST_CHUNK) {
            batchRest = fetchBatchRest(page.get(page.size() - 1).id);
            batchRestPos = 0;
        }
        return page;
    }

    private List<LogEntry> entries(PreparedStatement ps) throws SQLException {
        List<LogEntry> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Long commitMs = null;
                if (commitTimestamps) {
                    long ms = rs.getLong(8);
                    commitMs = rs.wasNull() ? null : ms;
                }
                out.add(new LogEntry(rs.getLong(1), rs.getString(2), Long.parseUnsignedLong(rs.getString(3)),
                        rs.getLong(4), rs.getString(5).charAt(0), rs.getString(6), rs.getString(7), commitMs));
            }
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
            CapturedTable table = tables.get(e.relid);
            List<Map<String, Object>> rows = decoded.get(e.relid);
            if (rows == null) {
                continue;
            }
            int i = next.getOrDefault(e.relid, 0);
            List<Boolean> matches = matched.get(e.relid);
            boolean filtered = !matches.isEmpty();
            boolean beforeMatches = e.oldRow != null && filtered && matches.get(i);
            Map<String, Object> before = e.oldRow == null ? null : rows.get(i++);
            boolean afterMatches = e.newRow != null && filtered && matches.get(i);
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
                    e.commitMs, SourceInfo.SNAPSHOT_FALSE, database, table.id.schema(), table.id.table(),
                    e.xid & 0xFFFF_FFFFL, null, null, Long.toString(e.id));
            Position position = position(new LogPosition(false, batch, prev, cur, e.id));
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

    private String currentSnapshot() throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_snapshot()::text")) {
            rs.next();
            return rs.getString(1);
        }
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
                + ADDRESSES + " AS d(t, i) WHERE l.ctid = d.t AND l.id = d.i");
             Addresses a = addresses(unreleased)) {
            a.bind(ps);
            int deleted = ps.executeUpdate();
            LOG.debug("Source '{}' released {} of {} log entries read", config.name(), deleted, unreleased.size());
            return deleted == unreleased.size();
        } finally {
            unreleased.clear();
        }
    }

    /** Row addresses and ids as the two array parameters of {@link #ADDRESSES}. */
    private record Addresses(Array ctids, Array ids) implements AutoCloseable {
        void bind(PreparedStatement ps) throws SQLException {
            ps.setArray(1, ctids);
            ps.setArray(2, ids);
        }

        @Override
        public void close() throws SQLException {
            ctids.free();
            ids.free();
        }
    }

    private Addresses addresses(List<EntryRef> refs) throws SQLException {
        return new Addresses(connection.createArrayOf("text", refs.stream().map(EntryRef::ctid).toArray()),
                connection.createArrayOf("bigint", refs.stream().map(EntryRef::id).toArray()));
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
