package io.cdckit.logbased;

import io.cdckit.api.CdckitVersion;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SnapshotPlan;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.KeyChunks;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The log strategy's snapshot: tables read in key order, one chunk at a time, each chunk in a
 * short transaction of its own, while the WAL streams on (the DBLog algorithm; Debezium ships it
 * as incremental snapshots). For each chunk a worker thread writes a low watermark into the WAL
 * (a transactional logical message, decoded where it commits), reads the chunk in a REPEATABLE
 * READ transaction, and writes a high watermark. The reader's thread sees the stream in commit
 * order: a changed row of the chunk's table between the low and the high watermark is dropped
 * from the chunk (its change, delivered as usual, supersedes the copy), and so is one changed
 * before the low watermark by a transaction the chunk's snapshot did not see yet; where the high
 * watermark passes, the rest of the chunk is delivered as op {@code r}. The stream is never held
 * back: changes are delivered as they come while a chunk is read.
 *
 * <p>PostgreSQL writes a commit into the WAL before it makes the transaction visible, so a
 * transaction committed before the low watermark may still be invisible to the chunk's snapshot
 * for a moment (much longer with a synchronous standby that has not confirmed it). Such a
 * transaction is handled on both sides of the chunk's start: before it writes the low watermark,
 * the worker waits until new snapshots see every transaction delivered before the chunk began (the
 * reader remembers the last {@value #RECENT_TRANSACTIONS} transactions delivered until a chunk's
 * snapshot sees them), and a change delivered after the chunk began whose transaction the chunk's
 * snapshot does not see drops its row. A chunk that waits so long that the changes it has to judge
 * pile up is given up and started again.
 *
 * <p>The progress ({@link SnapshotProgress}: tables left, last key delivered, largest key when the
 * table's snapshot began, chunks, rows) and the captured tables are in every position the reader
 * emits. A chunk's rows carry the progress before the chunk, its last row the progress after it,
 * so a restart reads again at most the chunk in flight; a reopened reader starts that chunk again,
 * with new watermarks. Used by the reader's thread only, except for the worker, which works on
 * what it is handed and hands back a future.
 */
final class WatermarkSnapshot implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WatermarkSnapshot.class);
    private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How many of the last transactions delivered are remembered until a chunk's snapshot sees them. */
    static final int RECENT_TRANSACTIONS = 65_536;
    /** How long the worker waits for delivered transactions to become visible before it says so. */
    private static final long SETTLE_WARN_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How long the reader waits for a chunk whose high watermark it already saw. */
    private static final long READ_WAIT_SECONDS = 60;
    /** Changes of its table a chunk may have to judge before it is given up and started again. */
    private static final int MIN_TRACKED = 100_000;

    private final String sourceName;
    private final List<TableId> captured;
    private final int chunkSize;
    private final SourceConnections connections;
    /** Names this reader's watermarks: those of other readers and earlier runs are ignored. */
    private final String tag;
    private final int trackedLimit;
    private final Map<String, Object> capturedField;
    private final ArrayDeque<ChangeEvent> ready = new ArrayDeque<>();
    private final RecentTransactions recent = new RecentTransactions(RECENT_TRANSACTIONS);
    private String database;
    /** Written by the reader's thread only; volatile for {@link #progress()}. */
    private volatile SnapshotProgress progress;
    /** The fields every position gets now: the progress and the captured tables. */
    private Map<String, Object> extra;
    private final io.cdckit.api.TableColumns keys;
    private final io.cdckit.api.RowFilters filters;
    private Attempt attempt;
    private long attempts;
    private ExecutorService worker;
    private long lastProgressLog = System.nanoTime();

    WatermarkSnapshot(String sourceName, List<TableId> captured, io.cdckit.api.TableColumns keys,
                      io.cdckit.api.RowFilters filters, int chunkSize, SourceConnections connections) {
        this.sourceName = sourceName;
        this.keys = keys;
        this.filters = filters;
        this.captured = List.copyOf(captured);
        this.chunkSize = chunkSize;
        this.connections = connections;
        this.tag = sourceName + " " + UUID.randomUUID();
        this.trackedLimit = Math.max(MIN_TRACKED, 4 * chunkSize);
        this.capturedField = Collections.unmodifiableMap(SnapshotProgress.capturedField(this.captured));
        setProgress(null);
    }

    /** The captured database's name, as {@link #database(String)} set it. */
    String database() {
        return database;
    }

    /** The database name the snapshot rows carry in {@code source.db}. */
    void database(String name) {
        this.database = name;
    }

    /** A fresh start: snapshot {@code first}. */
    void begin(List<TableId> first) {
        setProgress(SnapshotProgress.of(first));
        LOG.info("Source '{}' streams from its replication slot while a chunked snapshot reads the rows of {} ({} "
                + "rows a chunk)", sourceName, first, chunkSize);
    }

    /**
     * A restart after {@code after}: the snapshot it was in resumes at the chunk it was in, and
     * with {@code initial}, tables added to {@code cdc.tables} since are snapshotted too.
     */
    void resume(Position after, boolean initial) {
        setProgress(SnapshotPlan.resume(sourceName, captured, after, initial));
    }

    /** Queues {@code more} tables, after those the snapshot still has. */
    void request(List<TableId> more) {
        setProgress(SnapshotPlan.request(sourceName, captured, progress, more));
        LOG.info("Source '{}' snapshots {} while it streams ({} rows a chunk)", sourceName, more, chunkSize);
    }

    /** Where the snapshot stands now, or null when none runs; any thread. */
    SnapshotProgress progress() {
        return progress;
    }

    /** The fields every position of the reader gets now: the snapshot's progress, if any, and the captured tables. */
    Map<String, Object> positionFields() {
        return extra;
    }

    boolean hasReadyRows() {
        return !ready.isEmpty();
    }

    /** Up to {@code max} rows of the chunk whose high watermark passed. */
    List<ChangeEvent> take(int max) {
        List<ChangeEvent> out = new ArrayList<>(Math.min(Math.max(max, 0), ready.size()));
        while (out.size() < max && !ready.isEmpty()) {
            out.add(ready.poll());
        }
        return out;
    }

    /**
     * Starts reading the next chunk when the snapshot has one to read and none is in flight. The
     * changes seen from now on are watched for the chunk's rows.
     */
    void startChunkIfWanted() {
        if (progress == null || attempt != null) {
            return;
        }
        if (worker == null) {
            worker = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "cdckit-log-snapshot-" + sourceName);
                t.setDaemon(true);
                return t;
            });
        }
        attempts++;
        SnapshotProgress from = progress;
        long[] delivered = recent.toArray();
        Attempt a = new Attempt(from.table(), "low " + tag + " " + attempts, "high " + tag + " " + attempts);
        a.read = CompletableFuture.supplyAsync(() -> readChunk(a, from, delivered), worker);
        attempt = a;
    }

    /** Throws what made the chunk in flight fail, so the reader is opened again and starts it again. */
    void failIfChunkFailed() throws Exception {
        if (attempt != null && attempt.read.isCompletedExceptionally()) {
            try {
                attempt.read.join();
            } catch (CompletionException e) {
                throw unwrap(e);
            }
        }
    }

    /** A change passed on the stream, in commit order, before it is delivered. */
    void observe(RecordConverter.Change change) {
        Long txId = change.source().txId();
        if (txId != null) {
            recent.add(txId);
        }
        Attempt a = attempt;
        if (a == null || !a.table.equals(change.source().tableId())) {
            return;
        }
        Map<String, Object> key = change.op() == Op.TRUNCATE ? null : normalizedKey(change.key());
        if (a.lowPassed) {
            a.drop(key); // between the watermarks: the change supersedes the chunk's copy
        } else {
            ChunkRead read = a.readIfDone();
            if (read == null) {
                a.unresolved.add(new Unresolved(txId, key));
            } else if (txId == null || !read.snapshot().visible(txId)) {
                a.drop(key); // before the low watermark, but not in the chunk's snapshot
            }
        }
        if (a.dropped.size() + a.unresolved.size() > trackedLimit) {
            // the chunk waited long while its table changed: start it again rather than keep all that
            a.abandoned = true;
            attempt = null;
            LOG.info("Source '{}' starts its chunk of {} again: {} changes of the table arrived while it was read",
                    sourceName, a.table, a.dropped.size() + a.unresolved.size());
        }
    }

    /** A watermark passed on the stream; at the chunk's high watermark its rows become ready. */
    void watermark(RecordConverter.Watermark watermark) throws Exception {
        Attempt a = attempt;
        if (a == null) {
            return;
        }
        if (a.low.equals(watermark.text())) {
            a.lowPassed = true;
        } else if (a.high.equals(watermark.text())) {
            finish(a, watermark.offset());
        }
    }

    private void finish(Attempt a, Map<String, Object> offset) throws Exception {
        ChunkRead read;
        try {
            // the worker completes the read before it writes the high watermark: this returns at once
            read = a.read.get(READ_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the chunk of " + a.table + " whose high watermark passed did not "
                    + "complete within " + READ_WAIT_SECONDS + " s");
        }
        attempt = null;
        for (Unresolved u : a.unresolved) {
            if (u.txId() == null || !read.snapshot().visible(u.txId())) {
                a.drop(u.key());
            }
        }
        recent.forgetVisible(read.snapshot());
        KeyChunks.Chunk chunk = read.chunk();
        List<Map<String, Object>> rows = new ArrayList<>(chunk.rows().size());
        if (!a.truncated) {
            for (Map<String, Object> row : chunk.rows()) {
                if (a.dropped.isEmpty() || !a.dropped.contains(normalizedKey(read.schema().keyOf(row)))) {
                    rows.add(row);
                }
            }
        }
        SnapshotProgress before = progress;
        if (before.tableNotBegun()) {
            LOG.info("Source '{}' snapshot of {} begins: keys up to {}, {} rows a chunk", sourceName, a.table,
                    read.upTo(), chunkSize);
        }
        SnapshotProgress after = chunk.rows().isEmpty() ? before
                : before.chunkRead(chunk.lastKey(), read.upTo(), rows.size());
        if (chunk.last()) {
            LOG.info("Source '{}' snapshot of {} done: {} rows in {} chunks in all so far", sourceName, a.table,
                    after.rows(), after.chunks());
            after = after.tableDone();
        }
        Map<String, Object> beforeFields = extra;
        setProgress(after);
        for (int i = 0; i < rows.size(); i++) {
            boolean lastOfChunk = i == rows.size() - 1;
            Map<String, Object> fields = new LinkedHashMap<>(offset);
            // a restart before the chunk's last row was committed reads the chunk again
            fields.putAll(lastOfChunk ? extra : beforeFields);
            String flag = lastOfChunk && after == null ? SourceInfo.SNAPSHOT_LAST : SourceInfo.SNAPSHOT_TRUE;
            SourceInfo source = new SourceInfo(CdckitVersion.get(), LogChangeSourceProvider.MODE, sourceName, null,
                    flag, database, a.table.schema(), a.table.table(), null, null, null, null);
            Map<String, Object> row = rows.get(i);
            ready.add(new ChangeEvent(Op.READ, null, row, read.schema().keyOf(row), source,
                    System.currentTimeMillis(), null, new Position(fields)));
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("Source '{}' chunk of {} after key {}: {} rows read, {} delivered, {} dropped for changes "
                    + "in its window{}", sourceName, a.table, before.after(), chunk.rows().size(), rows.size(),
                    chunk.rows().size() - rows.size(), a.truncated ? " (truncated)" : "");
        }
        if (after == null) {
            LOG.info("Source '{}' finished its snapshot: {} rows in {} chunks", sourceName,
                    before.rows() + rows.size(), before.chunks() + (chunk.rows().isEmpty() ? 0 : 1));
        } else if (System.nanoTime() - lastProgressLog > PROGRESS_NANOS) {
            lastProgressLog = System.nanoTime();
            LOG.info("Source '{}' snapshot: {} rows in {} chunks so far, now in {} after key {} ({} tables left)",
                    sourceName, after.rows(), after.chunks(), after.table(), after.after(), after.tables().size());
        }
    }

    private void setProgress(SnapshotProgress p) {
        progress = p;
        Map<String, Object> f = new LinkedHashMap<>();
        SnapshotProgress.addTo(f, p);
        f.putAll(capturedField);
        extra = Collections.unmodifiableMap(f);
    }

    /**
     * On the worker: waits until what was delivered before the chunk began is visible, then the low
     * watermark, the chunk, the high watermark.
     */
    private ChunkRead readChunk(Attempt a, SnapshotProgress from, long[] delivered) {
        try {
            settle(a, delivered);
            emit(a.low);
            ChunkRead read = read(a.table, from);
            emit(a.high);
            return read;
        } catch (SQLException e) {
            throw new CompletionException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }

    /**
     * Returns once a new snapshot sees every transaction of {@code delivered}. One that it does not
     * see has its commit in the WAL (it was streamed) but is not yet visible; it will be, and
     * visibility only grows, so the chunk's snapshot, taken later, sees them all.
     */
    private void settle(Attempt a, long[] delivered) throws SQLException, InterruptedException {
        long started = System.nanoTime();
        long pause = 2;
        boolean warned = false;
        long[] waiting = delivered;
        while (waiting.length > 0) {
            String text;
            try (Connection c = connections.borrow()) {
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_snapshot()::text")) {
                    rs.next();
                    text = rs.getString(1);
                }
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
            }
            List<Long> invisible = XidSnapshot.parse(text).invisible(waiting);
            if (invisible.isEmpty()) {
                return;
            }
            if (a.abandoned) {
                throw new CompletionException(new IllegalStateException("chunk given up"));
            }
            waiting = invisible.stream().mapToLong(Long::longValue).toArray();
            if (!warned && System.nanoTime() - started > SETTLE_WARN_NANOS) {
                warned = true;
                LOG.warn("Source '{}' waits to read its next chunk of {}: transactions {} were delivered, but "
                        + "PostgreSQL does not show them as committed to new snapshots yet (a synchronous standby "
                        + "that does not confirm them holds them back); changes keep streaming meanwhile",
                        sourceName, a.table, invisible);
            }
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 100);
        }
    }

    /** Writes a watermark into the WAL in a transaction of its own; it is decoded where that commits. */
    private void emit(String text) throws SQLException {
        try (Connection c = connections.borrow()) {
            boolean autoCommit = c.getAutoCommit();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_catalog.pg_logical_emit_message(true, CAST(? AS text), CAST(? AS text))")) {
                ps.setString(1, EngineProperties.WATERMARK_PREFIX);
                ps.setString(2, text);
                ps.executeQuery().close();
            }
            if (!autoCommit) {
                c.commit();
            }
        }
    }

    /** Reads the chunk, and the snapshot it was read in, in a short REPEATABLE READ transaction. */
    private ChunkRead read(TableId table, SnapshotProgress from) throws SQLException {
        try (Connection c = connections.borrow()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                XidSnapshot snapshot;
                try (Statement st = c.createStatement()) {
                    st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                    try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_snapshot()::text")) {
                        rs.next();
                        snapshot = XidSnapshot.parse(rs.getString(1));
                    }
                }
                TableSchema schema = TableSchema.load(c, table, keys);
                KeyChunks chunker = KeyChunks.of(c, schema, filters.of(table));
                List<String> upTo = from.tableNotBegun() ? chunker.maxKey(c) : from.upTo();
                KeyChunks.Chunk chunk = upTo == null ? new KeyChunks.Chunk(List.of(), null, true)
                        : chunker.read(c, from.after(), upTo, chunkSize);
                c.commit();
                return new ChunkRead(schema, chunk, upTo, snapshot);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private static Exception unwrap(Throwable e) {
        Throwable cause = e instanceof CompletionException || e instanceof ExecutionException
                ? e.getCause() : e;
        if (cause instanceof Exception ex) {
            return ex;
        }
        return new IllegalStateException(cause);
    }

    /**
     * A key as a map whose values compare equal exactly when the database's keys are equal:
     * {@code bytea} by content, {@code numeric} whatever its scale.
     */
    static Map<String, Object> normalizedKey(Map<String, Object> key) {
        Map<String, Object> out = new HashMap<>(key.size() * 2);
        key.forEach((k, v) -> out.put(k, normalized(v)));
        return out;
    }

    private static Object normalized(Object v) {
        if (v instanceof byte[] b) {
            return ByteBuffer.wrap(b);
        }
        if (v instanceof BigDecimal d) {
            return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        }
        if (v instanceof List<?> l) {
            return l.stream().map(WatermarkSnapshot::normalized).toList();
        }
        return v;
    }

    @Override
    public void close() {
        if (worker != null) {
            worker.shutdownNow();
            try {
                if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("Source '{}': the snapshot's chunk read did not stop within 10 s", sourceName);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A chunk in flight: its table, its watermarks, and what the stream said about its rows so far. */
    private static final class Attempt {
        final TableId table;
        final String low;
        final String high;
        CompletableFuture<ChunkRead> read;
        /** Set when the reader gives the chunk up; its worker stops waiting. */
        volatile boolean abandoned;
        boolean lowPassed;
        boolean truncated;
        final Set<Map<String, Object>> dropped = new HashSet<>();
        /** Changes before the low watermark seen while the chunk's snapshot was not yet known. */
        final List<Unresolved> unresolved = new ArrayList<>();

        Attempt(TableId table, String low, String high) {
            this.table = table;
            this.low = low;
            this.high = high;
        }

        /** Drops the row of {@code key} from the chunk; null (a truncate): every row. */
        void drop(Map<String, Object> key) {
            if (key == null) {
                truncated = true;
            } else {
                dropped.add(key);
            }
        }

        ChunkRead readIfDone() {
            return read.isDone() && !read.isCompletedExceptionally() ? read.join() : null;
        }
    }

    /** A change of the chunk's table before the low watermark, to be judged by the chunk's snapshot. */
    private record Unresolved(Long txId, Map<String, Object> key) {
    }

    /** A chunk read: the table's schema then, the rows, the table's bound and the snapshot they were read in. */
    private record ChunkRead(TableSchema schema, KeyChunks.Chunk chunk, List<String> upTo, XidSnapshot snapshot) {
    }

    /**
     * A snapshot as {@code pg_current_snapshot()} gives it: transactions below {@code xmin} are
     * finished, from {@code xmax} on not yet, and between them those in {@code xip} are running.
     */
    record XidSnapshot(long xmin, long xmax, Set<Long> xip) {

        static XidSnapshot parse(String text) {
            String[] parts = text.split(":", -1);
            Set<Long> running = new HashSet<>();
            if (parts.length > 2 && !parts[2].isEmpty()) {
                for (String x : parts[2].split(",")) {
                    running.add(Long.parseLong(x));
                }
            }
            return new XidSnapshot(Long.parseLong(parts[0]), Long.parseLong(parts[1]), running);
        }

        /**
         * True when the committed transaction {@code xid} (32 bits, as the WAL carries it) is
         * visible to this snapshot; its epoch is the one that puts it nearest to {@code xmax}.
         */
        boolean visible(long xid) {
            long x = (xmax & ~0xFFFF_FFFFL) | (xid & 0xFFFF_FFFFL);
            if (x > xmax + (1L << 31)) {
                x -= 1L << 32;
            } else if (x < xmax - (1L << 31)) {
                x += 1L << 32;
            }
            return x < xmax && !xip.contains(x);
        }

        /** The transactions of {@code xids} that this snapshot does not see. */
        List<Long> invisible(long[] xids) {
            List<Long> out = new ArrayList<>();
            for (long x : xids) {
                if (!visible(x)) {
                    out.add(x);
                }
            }
            return out;
        }
    }

    /**
     * The transactions delivered lately, newest last, each once, at most {@code capacity}; those a
     * chunk's snapshot saw are forgotten (visibility only grows), so during a snapshot it holds little.
     */
    static final class RecentTransactions {
        private final int capacity;
        private final LinkedHashMap<Long, Boolean> ids;
        private long last = -1;

        RecentTransactions(int capacity) {
            this.capacity = capacity;
            this.ids = new LinkedHashMap<>(256, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                    return size() > RecentTransactions.this.capacity;
                }
            };
        }

        void add(long xid) {
            if (xid != last) {
                last = xid;
                ids.put(xid, Boolean.TRUE);
            }
        }

        long[] toArray() {
            long[] out = new long[ids.size()];
            int i = 0;
            for (Long x : ids.keySet()) {
                out[i++] = x;
            }
            return out;
        }

        void forgetVisible(XidSnapshot snapshot) {
            ids.keySet().removeIf(snapshot::visible);
            last = -1;
        }

        int size() {
            return ids.size();
        }

        @Override
        public String toString() {
            return Arrays.toString(toArray());
        }
    }
}
