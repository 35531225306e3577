package io.cdckit.timestamp;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdckitVersion;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.ColumnDecoder;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.SourceLock;
import io.cdckit.api.spi.ChangeReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Reads changes by polling. Each poll first {@link Watermark#advance advances the watermark}
 * (outside any snapshot), then reads every table in one REPEATABLE READ transaction: the rows
 * after the table's last delivered (timestamp, key) and below the watermark, in that order. With
 * key tracking, the same transaction records the rows' keys as seen; when caught up, every
 * {@code cdc.timestamp.reconcile.every-polls} polls the {@link KeyReconciler} reports keys seen
 * that are gone as deletes.
 *
 * <p>A snapshot ({@code cdc.snapshot.mode=initial} at the first start and for tables added to
 * {@code cdc.tables} later, or {@link #snapshot} on demand) runs alongside: every poll cycle reads
 * the stream, then one chunk of the snapshot ({@link ChunkedSnapshot}, which says why no
 * watermark window is needed), and hands out the chunk's rows before the stream is read again, so
 * events leave in the order they were read. The stream of a table starts at the watermark of its
 * start; the snapshot delivers the rows written before it. Its progress is in every position.
 */
final class TimestampChangeReader implements ChangeReader {

    private static final Logger LOG = LoggerFactory.getLogger(TimestampChangeReader.class);
    private static final String CONNECTOR = "timestamp";

    private final TimestampSettings settings;
    private final SourceConnections connections;
    private final Duration maxWatermarkAge;
    /** The bound the reader reads below, published for {@link #backlog()}. */
    private volatile String publishedBound;
    private final Watermark watermark;
    private final KeyReconciler reconciler;
    private final List<CapturedTable> tables = new ArrayList<>();
    private final ChunkedSnapshot snapshot;
    private Connection connection;
    private KeyShadow shadow;
    private String database;

    /** Committed-to-the-reader state: what the last returned event's position says. */
    private long seq;
    private String bound;
    private Map<TableId, TablePosition> positions = new LinkedHashMap<>();
    /** Deletes handed out whose keys are forgotten once committed: table → key texts → event seq. */
    private final Map<TableId, Map<List<String>, Long>> pendingForget = new LinkedHashMap<>();
    private int nextTable;
    private int pollsSinceReconcile;
    /** Where a fresh source started (every table at its start), or null for a resumed one. */
    private Position startPosition;
    /** When the reader last woke from waiting out its poll interval (System.nanoTime). */
    private long lastWake;
    /** While a snapshot runs: when the tables are read again (System.nanoTime). */
    private long nextStreamRead = System.nanoTime();
    /** While a snapshot runs: the earliest time of the next key reconciliation (System.nanoTime). */
    private long nextReconcile = System.nanoTime();
    /** The first poll waits until then (System.nanoTime); null once it ran. */
    private Long firstPollAt;

    TimestampChangeReader(TimestampSettings settings, SourceConnections connections, Duration maxWatermarkAge) {
        this.settings = settings;
        this.connections = connections;
        this.maxWatermarkAge = maxWatermarkAge;
        this.watermark = new Watermark(settings.delay());
        this.reconciler = new KeyReconciler(settings.chunkSize());
        this.snapshot = new ChunkedSnapshot(settings.name(), settings.tables(), settings.snapshotChunkSize());
    }

    @Override
    public void open(Position after) throws Exception {
        // holds the source's lock, and reads each poll in one snapshot: a connection of its own
        connection = connections.open("timestamp reader");
        SourceLock.acquire(connection, TimestampState.lockName(settings.stateSchema(), settings.name()),
                "Timestamp source '" + settings.name() + "' is already running against this database (in this or "
                        + "another process): stop it first, or give this source another cdc.name.");
        connection.setAutoCommit(true);
        Watermark.checkVisibility(connection);
        try (PreparedStatement ps = connection.prepareStatement("SELECT current_database()");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            database = rs.getString(1);
        }
        for (TableId id : settings.tables()) {
            CapturedTable t = CapturedTable.load(connection, id, settings);
            if (settings.installTrigger()) {
                try (Connection setup = connections.borrow()) {
                    TimestampTrigger.install(setup, settings.stateSchema(), t, settings.ddl());
                }
            }
            tables.add(t);
        }
        if (settings.tracksKeys()) {
            shadow = new KeyShadow(settings.stateSchema(), settings.name());
            for (CapturedTable t : tables) {
                shadow.prepare(connection, t);
                pendingForget.put(t.id(), new LinkedHashMap<>());
            }
        }
        snapshot.tables(tables);
        SnapshotProgress resumed = null;
        if (after != null) {
            PositionCodec.State state = PositionCodec.decode(after, settings.tables());
            seq = state.seq();
            bound = state.bound();
            positions.putAll(state.tables());
            resumed = state.progress();
        }
        String start = watermark.start(connection).toString();
        List<TableId> added = new ArrayList<>();
        for (CapturedTable t : tables) {
            if (positions.containsKey(t.id())) {
                LOG.info("Resuming {} after {}", t.id(), positions.get(t.id()));
                if (shadow != null) {
                    shadow.rewind(connection, t, seq);
                }
                continue;
            }
            String from = t.asColumnText(connection, start);
            if (settings.snapshot()) {
                // the stream starts at the watermark; the snapshot delivers the rows written before it
                positions.put(t.id(), TablePosition.from(from).withPartial(shadow != null));
                if (shadow != null) {
                    shadow.reset(connection, t, null);
                }
                added.add(t.id());
                LOG.info("Starting {} at the watermark {}, with a chunked snapshot of its rows (cdc.snapshot.mode="
                        + "initial){}", t.id(), start, after == null ? "" : ": it was added to cdc.tables");
            } else {
                positions.put(t.id(), TablePosition.from(from));
                if (shadow != null) {
                    shadow.reset(connection, t, start);
                }
                LOG.info("Starting {} at the watermark {} (cdc.snapshot.mode=never): rows written before it are "
                        + "not delivered", t.id(), start);
            }
        }
        snapshot.open(resumed, added);
        for (CapturedTable t : tables) {
            TablePosition p = positions.get(t.id());
            if (p.partial() && !snapshot.pending(t.id())) {
                // its snapshot was done, or left out: the keys seen are what was delivered
                positions.put(t.id(), p.withPartial(false));
            }
        }
        if (bound == null) {
            bound = start;
        }
        publishedBound = bound;
        if (after == null) {
            startPosition = position(seq, snapshot.progress());
        }
        lastWake = System.nanoTime();
        // the start has no delay: the first poll waits it out, so that neither the stream nor the
        // snapshot reads before a statement that took its start just before the probe has shown it
        firstPollAt = lastWake + settings.delay().toNanos();
    }

    /** The position after event {@code s}: the stream where it stands, the snapshot's {@code progress}. */
    private Position position(long s, SnapshotProgress progress) {
        return PositionCodec.encode(s, bound, positions, progress, settings.tables());
    }

    @Override
    public Position startPosition() {
        return startPosition;
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
        if (firstPollAt != null) {
            sleepUntil(firstPollAt);
            firstPollAt = null;
        }
        if (snapshot.hasReadyRows()) {
            // the rest of the chunk read last, before anything is read again
            return takeChunkRows(maxEvents);
        }
        // While a snapshot runs, the tables are read again at most every poll interval, or every time
        // reading them took, if longer (a table without the index polls want is read whole): chunks
        // get at least half of the reader's time, so an expensive poll cannot throttle the snapshot.
        boolean streamDue = !snapshot.running() || System.nanoTime() - nextStreamRead >= 0;
        List<ChangeEvent> events = new ArrayList<>();
        pollsSinceReconcile++;
        if (streamDue) {
            long started = System.nanoTime();
            events = readTables(maxEvents);
            long now = System.nanoTime();
            nextStreamRead = now + Math.max(timeout.toNanos(), now - started);
            // reconciliation is counted in poll cycles (a chunk each while a snapshot runs), and while a
            // snapshot runs it waits as long as it took last time, so it cannot crowd the chunks out
            boolean reconcileDue = pollsSinceReconcile >= settings.reconcileEvery()
                    && (!snapshot.running() || System.nanoTime() - nextReconcile >= 0);
            if (shadow != null && events.size() < maxEvents && reconcileDue) {
                pollsSinceReconcile = 0;
                int before = events.size();
                long reconcileStarted = System.nanoTime();
                reconcile(maxEvents, events);
                long reconciled = System.nanoTime();
                nextReconcile = reconciled + (reconciled - reconcileStarted);
                if (events.size() == maxEvents && events.size() > before) {
                    pollsSinceReconcile = settings.reconcileEvery(); // more may be waiting: look again next poll
                }
            }
        }
        boolean chunkRead = false;
        if (snapshot.running()) {
            // a chunk per cycle, whatever the stream found: neither holds the other back
            readChunk();
            chunkRead = true;
            events.addAll(takeChunkRows(maxEvents - events.size()));
        }
        if (events.isEmpty() && !chunkRead) {
            // Caught up: wake one interval after the last wake-up, so that the polls which found
            // changes since then (and this one) count against the wait instead of adding to it.
            lastWake = Math.max(lastWake + timeout.toNanos(), System.nanoTime());
            sleepUntil(lastWake);
        }
        return events;
    }

    /** Reads the snapshot's next chunk; its rows are handed out by {@link #takeChunkRows}. */
    private void readChunk() throws SQLException {
        ChunkedSnapshot.Read read = snapshot.readChunk(connection, seq, shadow != null);
        seq += read.rows();
        // a key reported deleted and not yet committed that the chunk found again is not to be forgotten
        read.seenKeys().forEach((id, keys) -> {
            Map<List<String>, Long> pending = pendingForget.get(id);
            if (pending != null && !pending.isEmpty()) {
                keys.forEach(pending::remove);
            }
        });
        if (read.ended() != null) {
            snapshotEnded(read.ended());
        }
    }

    private void snapshotEnded(TableId table) {
        if (!snapshot.pending(table)) {
            positions.computeIfPresent(table, (id, p) -> p.withPartial(false));
        }
    }

    private List<ChangeEvent> takeChunkRows(int max) {
        List<ChangeEvent> events = new ArrayList<>();
        for (ChunkedSnapshot.Taken taken : snapshot.take(max)) {
            if (taken.ended() != null) {
                snapshotEnded(taken.ended());
            }
            ChunkedSnapshot.Row r = taken.row();
            events.add(new ChangeEvent(Op.READ, null, r.row(), r.table().schema().keyOf(r.row()),
                    source(r.table(), taken.flag(), null, null, r.key()), System.currentTimeMillis(), null,
                    position(r.seq(), taken.progress())));
        }
        return events;
    }

    /**
     * Queues a snapshot of {@code requested}: read chunk by chunk between the polls, like the
     * initial one. Their rows come as {@code r}; the stream goes on meanwhile.
     */
    @Override
    public void snapshot(List<TableId> requested) {
        snapshot.request(requested);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(nanoTime - System.nanoTime());
    }

    /** One transaction over all tables; state moves on only when it committed. */
    private List<ChangeEvent> readTables(int max) throws SQLException {
        String newBound = watermark.advance(connection).toString();
        Map<TableId, TablePosition> work = new LinkedHashMap<>(positions);
        List<ChangeEvent> events = new ArrayList<>();
        Cursor cursor = new Cursor(seq, newBound, work, snapshot.progress(), settings.tables());
        Map<TableId, List<List<String>>> seenAgain = new LinkedHashMap<>();
        Map<TableId, Map<List<String>, Long>> newlyDeleted = new LinkedHashMap<>();
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            for (int i = 0; i < tables.size() && events.size() < max; i++) {
                CapturedTable t = tables.get((nextTable + i) % tables.size());
                readTable(t, max - events.size(), cursor, events, seenAgain, newlyDeleted);
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
        nextTable = (nextTable + 1) % tables.size();
        positions = work;
        seq = cursor.seq;
        bound = newBound;
        publishedBound = newBound;
        seenAgain.forEach((id, keys) -> keys.forEach(pendingForget.get(id)::remove));
        newlyDeleted.forEach((id, keys) -> pendingForget.get(id).putAll(keys));
        return events;
    }

    /** The running state while a poll builds its events. */
    private static final class Cursor {
        long seq;
        final String bound;
        final Map<TableId, TablePosition> tables;
        final SnapshotProgress progress;
        final List<TableId> captured;

        Cursor(long seq, String bound, Map<TableId, TablePosition> tables, SnapshotProgress progress,
               List<TableId> captured) {
            this.seq = seq;
            this.bound = bound;
            this.tables = tables;
            this.progress = progress;
            this.captured = captured;
        }

        Position next() {
            seq++;
            return PositionCodec.encode(seq, bound, tables, progress, captured);
        }
    }

    private void readTable(CapturedTable t, int limit, Cursor cursor, List<ChangeEvent> events,
                           Map<TableId, List<List<String>>> seenAgain,
                           Map<TableId, Map<List<String>, Long>> newlyDeleted) throws SQLException {
        TablePosition start = cursor.tables.get(t.id());
        int n = t.columnCount();
        int keyCount = t.keyColumns().size();
        Map<List<String>, Long> pending = pendingForget.get(t.id());
        try (PreparedStatement ps = connection.prepareStatement(t.pollSql(start))) {
            int i = t.bindLower(ps, 1, start);
            ps.setString(i++, cursor.bound);
            ps.setInt(i, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> after = new LinkedHashMap<>();
                    for (int c = 1; c <= n; c++) {
                        after.put(t.schema().columns().get(c - 1).name(), ColumnDecoder.decode(rs, c));
                    }
                    String ts = rs.getString(n + 1);
                    List<String> keyTexts = new ArrayList<>(keyCount);
                    for (int k = 0; k < keyCount; k++) {
                        keyTexts.add(rs.getString(n + 2 + k));
                    }
                    int x = n + 2 + keyCount;
                    long xmin = rs.getLong(x);
                    boolean firstSighting = rs.getBoolean(x + 1);
                    boolean deleted = rs.getBoolean(x + 2);
                    Boolean created = (Boolean) rs.getObject(x + 3);
                    boolean matches = rs.getBoolean(x + 4);
                    boolean wasPendingDelete = pending != null && pending.containsKey(keyTexts);
                    if (!matches && !deleted) {
                        // cdc.filter.*: a row that left the filter is deleted if it was delivered (its key was
                        // seen); one never delivered is skipped. Without key tracking a row leaving is not seen.
                        cursor.tables.put(t.id(), cursor.tables.get(t.id()).after(ts, keyTexts));
                        if (shadow == null || firstSighting || wasPendingDelete) {
                            continue;
                        }
                        deleted = true;
                    }

                    Op op;
                    if (deleted) {
                        op = Op.DELETE;
                    } else if (created != null) {
                        op = created ? Op.CREATE : Op.UPDATE;
                    } else if (shadow != null) {
                        op = firstSighting || wasPendingDelete ? Op.CREATE : Op.UPDATE;
                    } else {
                        op = Op.UPDATE;
                    }
                    cursor.tables.put(t.id(), cursor.tables.get(t.id()).after(ts, keyTexts));
                    Position position = cursor.next();
                    if (shadow != null) {
                        if (deleted) {
                            newlyDeleted.computeIfAbsent(t.id(), k -> new LinkedHashMap<>()).put(keyTexts, cursor.seq);
                        } else if (wasPendingDelete) {
                            seenAgain.computeIfAbsent(t.id(), k -> new ArrayList<>()).add(keyTexts);
                        }
                    }
                    Map<String, Object> key = t.schema().keyOf(after);
                    events.add(new ChangeEvent(op, null, op == Op.DELETE ? null : after, key,
                            source(t, SourceInfo.SNAPSHOT_FALSE, xmin, ts, keyTexts), System.currentTimeMillis(),
                            null, position));
                }
            }
        }
        TablePosition end = cursor.tables.get(t.id());
        if (shadow != null && end != start && end.ts() != null) {
            try (PreparedStatement ps = connection.prepareStatement(t.rememberSql(start))) {
                ps.setLong(1, cursor.seq);
                int i = t.bindLower(ps, 2, start);
                ps.setString(i++, end.ts());
                for (String k : end.key()) {
                    ps.setString(i++, k);
                }
                ps.executeUpdate();
            }
        }
    }

    private SourceInfo source(CapturedTable t, String snapshot, Long xmin, String ts, List<String> keyTexts) {
        List<String> sequence = new ArrayList<>();
        if (ts != null) {
            sequence.add(ts);
            sequence.addAll(keyTexts);
        }
        return new SourceInfo(CdckitVersion.get(), CONNECTOR, settings.name(), null, snapshot, database,
                t.id().schema(), t.id().table(), null, null, xmin, ts == null ? null : PositionCodec.json(sequence));
    }

    private void reconcile(int max, List<ChangeEvent> events) throws SQLException {
        Map<TableId, Map<List<String>, Long>> found = new LinkedHashMap<>();
        long s = seq;
        List<ChangeEvent> deletes = new ArrayList<>();
        // each statement in a snapshot of its own (autocommit): see KeyReconciler for why that is enough
        for (CapturedTable t : tables) {
            if (events.size() + deletes.size() >= max) {
                break;
            }
            List<String> upTo = null;
            if (positions.get(t.id()).partial()) {
                // its keys seen are complete only as far as its first snapshot got: look there only
                if (!snapshot.hasDelivered(t.id())) {
                    continue;
                }
                upTo = snapshot.deliveredUpTo();
            }
            Map<List<String>, Long> pending = pendingForget.get(t.id());
            Set<List<String>> skip = new HashSet<>(pending.keySet());
            for (KeyReconciler.Missing m : reconciler.missing(connection, t, max - events.size() - deletes.size(),
                    skip, upTo)) {
                s++;
                found.computeIfAbsent(t.id(), k -> new LinkedHashMap<>()).put(m.texts(), s);
                deletes.add(new ChangeEvent(Op.DELETE, null, null, m.key(),
                        source(t, SourceInfo.SNAPSHOT_FALSE, null, null, m.texts()), System.currentTimeMillis(),
                        null, position(s, snapshot.progress())));
            }
        }
        seq = s;
        found.forEach((id, keys) -> pendingForget.get(id).putAll(keys));
        events.addAll(deletes);
    }

    @Override
    public void committed(Position position) throws Exception {
        if (shadow == null || !(position.fields().get(PositionCodec.SEQ) instanceof Long upTo)) {
            return;
        }
        for (CapturedTable t : tables) {
            Map<List<String>, Long> pending = pendingForget.get(t.id());
            List<List<String>> done = new ArrayList<>();
            pending.forEach((key, at) -> {
                if (at <= upTo) {
                    done.add(key);
                }
            });
            if (!done.isEmpty()) {
                shadow.forget(connection, t, done);
                done.forEach(pending::remove);
            }
        }
    }

    @Override
    public Backlog backlog() {
        String b = publishedBound;
        if (b == null) {
            return Backlog.UNKNOWN;
        }
        long age = Math.max(0, Duration.between(Instant.parse(b), Instant.now()).toMillis());
        List<String> warnings = age > maxWatermarkAge.toMillis()
                ? List.of("the read watermark is " + age + " ms behind (cdc.timestamp.max-watermark-age="
                + maxWatermarkAge.toMillis() + " ms): a long-open transaction or a stalled handler holds it back")
                : List.of();
        return Backlog.watermark(age, warnings);
    }

    @Override
    public void close() throws Exception {
        if (connection != null) {
            try {
                connection.close();
            } finally {
                connection = null;
            }
        }
    }

    @Override
    public String toString() {
        return "TimestampChangeReader{" + settings + "}";
    }
}
