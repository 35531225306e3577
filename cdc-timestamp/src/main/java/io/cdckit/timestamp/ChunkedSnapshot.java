package io.cdckit.timestamp;

import io.cdckit.api.SnapshotPlan;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.KeyChunks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The timestamp strategy's snapshot: tables read in primary-key order, one chunk at a time, each
 * chunk in a short REPEATABLE READ transaction of its own on the reader's connection, between the
 * polls of the stream, which goes on meanwhile.
 *
 * <p>No watermark window is needed. Polls and chunks run one after the other on the reader's
 * thread, and every event, a poll's or a chunk's, carries the row's whole current state as read
 * at that moment, in a snapshot taken after the previous read ended. So per row the states
 * delivered are in read order, each no older than one delivered before it. A row changed after its
 * chunk was read gets a timestamp the watermark has not passed yet (a transaction still to write
 * starts after every bound already used), so a later poll delivers it; a row in the chunk that an
 * earlier poll delivered comes again with the same or a newer state. Rows whose last change was
 * before the stream's start are not polled, and the chunks deliver them; rows added after the
 * table's snapshot began (keys above its largest key then) are left to the stream.
 *
 * <p>The chunk's rows and their keys are read in one snapshot (hence REPEATABLE READ: two
 * statements must see the same rows); in the same transaction each key is recorded as seen with
 * the sequence number of the event that delivers it, so key reconciliation finds the rows deleted
 * after their chunk, and a restart forgets exactly the keys of events never committed. A row
 * deleted before its chunk is never delivered and never reported deleted; a row marked deleted
 * by the soft-delete column is skipped, as it is no existing row.
 *
 * <p>The progress (tables left, last key delivered, largest key when the table's snapshot began)
 * is in every position. A chunk's rows but its last carry the progress before the chunk, its last
 * row the progress after it, so a restart reads again at most the chunk that was in flight.
 */
final class ChunkedSnapshot {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkedSnapshot.class);
    private static final long PROGRESS_NANOS = 5_000_000_000L;

    private final String sourceName;
    private final List<TableId> captured;
    private final int chunkSize;
    private final Map<TableId, CapturedTable> tables = new HashMap<>();
    private final Map<TableId, KeyChunks> chunkers = new HashMap<>();
    /** The rows of the chunk read last that are still to be handed out, in key order. */
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    /** The progress before the chunk whose rows are in {@link #ready}, or the progress itself when none are. */
    private SnapshotProgress progress;
    /** The progress once the last row of {@link #ready} is handed out; meaningful while rows are ready. */
    private SnapshotProgress afterReady;
    /** The table whose snapshot the chunk in {@link #ready} ends, or null. */
    private TableId endsTable;
    private long lastProgressLog = System.nanoTime();

    /**
     * One row of a chunk, waiting to be handed out.
     *
     * @param table the table
     * @param row   the row as decoded
     * @param key   the text form of its key
     * @param seq   the sequence number of its event
     */
    record Row(CapturedTable table, Map<String, Object> row, List<String> key, long seq) {
    }

    /**
     * A row handed out, with what its event says.
     *
     * @param row      the row
     * @param progress the progress its position carries
     * @param flag     {@code source.snapshot}: {@link SourceInfo#SNAPSHOT_LAST} on the snapshot's last row
     * @param ended    the table whose snapshot this row ends, or null
     */
    record Taken(Row row, SnapshotProgress progress, String flag, TableId ended) {
    }

    /**
     * What a chunk read brought.
     *
     * @param rows     how many rows it made ready (sequence numbers used)
     * @param seenKeys the keys of those rows, per table, for the reader's bookkeeping of deletes
     * @param ended    the table whose snapshot ended with no row left to hand out, or null
     */
    record Read(int rows, Map<TableId, List<List<String>>> seenKeys, TableId ended) {
    }

    ChunkedSnapshot(String sourceName, List<TableId> captured, int chunkSize) {
        this.sourceName = sourceName;
        this.captured = List.copyOf(captured);
        this.chunkSize = chunkSize;
    }

    /** The captured tables as the reader loaded them. */
    void tables(Iterable<CapturedTable> loaded) {
        tables.clear();
        for (CapturedTable t : loaded) {
            tables.put(t.id(), t);
        }
    }

    /**
     * Where the snapshot stands at open: the committed {@code resumed} progress (null: none), of
     * which the tables no longer captured are dropped, with the {@code added} tables queued after it.
     */
    void open(SnapshotProgress resumed, List<TableId> added) {
        ready.clear();
        afterReady = null;
        endsTable = null;
        progress = resumed == null ? null : withoutUncaptured(resumed);
        if (progress != null) {
            LOG.info("Source '{}' resumes its snapshot of {} after key {} ({} rows in {} chunks so far; {} tables left)",
                    sourceName, progress.table(), progress.after(), progress.rows(), progress.chunks(),
                    progress.tables().size());
        }
        if (!added.isEmpty()) {
            progress = progress == null ? SnapshotProgress.of(added) : progress.plus(added);
        }
    }

    private SnapshotProgress withoutUncaptured(SnapshotProgress p) {
        if (captured.containsAll(p.tables())) {
            return p;
        }
        List<TableId> left = p.tables().stream().filter(captured::contains).toList();
        LOG.info("Source '{}' no longer captures {}: its snapshot leaves them out", sourceName,
                p.tables().stream().filter(t -> !captured.contains(t)).toList());
        if (left.isEmpty()) {
            return null;
        }
        boolean sameTable = left.get(0).equals(p.table());
        return new SnapshotProgress(left, sameTable ? p.after() : null, sameTable ? p.upTo() : null, p.chunks(),
                p.rows());
    }

    /** Queues {@code more} tables, after those the snapshot still has. */
    void request(List<TableId> more) {
        if (more.isEmpty()) {
            return;
        }
        progress = SnapshotPlan.request(sourceName, captured, progress, more);
        if (!ready.isEmpty()) {
            afterReady = afterReady == null ? SnapshotProgress.of(more) : afterReady.plus(more);
        }
        LOG.info("Source '{}' snapshots {} while it streams", sourceName, more);
    }

    /** The progress the next event's position carries; null when no snapshot runs. */
    SnapshotProgress progress() {
        return progress;
    }

    /** True when {@code table} is still to be read, or being read. */
    boolean pending(TableId table) {
        return progress != null && progress.tables().contains(table);
    }

    /** True while a snapshot has chunks to read. */
    boolean running() {
        return progress != null;
    }

    boolean hasReadyRows() {
        return !ready.isEmpty();
    }

    /**
     * Whether key reconciliation may look at {@code table}'s keys while its keys seen are known
     * only as far as its snapshot got: only when it is the table being read and a chunk of it was
     * delivered; then {@link #deliveredUpTo} is how far.
     */
    boolean hasDelivered(TableId table) {
        return progress != null && progress.table().equals(table) && progress.after() != null;
    }

    /** The text form of the last key the snapshot delivered of the table being read. */
    List<String> deliveredUpTo() {
        return progress.after();
    }

    /**
     * Reads the next chunk in a short REPEATABLE READ transaction of {@code c}, records the keys of
     * its rows as seen (when {@code shadowed}), and makes its rows ready. Call only when no rows are
     * ready.
     *
     * @param seq the sequence number of the last event handed out; the rows take the next ones
     */
    Read readChunk(Connection c, long seq, boolean shadowed) throws SQLException {
        if (!ready.isEmpty()) {
            throw new IllegalStateException("the previous chunk is not handed out yet");
        }
        SnapshotProgress before = progress;
        CapturedTable table = tables.get(before.table());
        List<Row> rows = new ArrayList<>();
        KeyChunks.Chunk chunk;
        List<String> upTo;
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            KeyChunks chunker = chunkers.get(table.id());
            if (chunker == null) {
                chunker = KeyChunks.of(c, table.schema(), table.filter());
                chunkers.put(table.id(), chunker);
            }
            upTo = before.tableNotBegun() ? chunker.maxKey(c) : before.upTo();
            if (before.tableNotBegun()) {
                LOG.info("Source '{}' snapshot of {} begins: keys up to {}, {} rows a chunk", sourceName, table.id(),
                        upTo, chunkSize);
            }
            chunk = upTo == null ? new KeyChunks.Chunk(List.of(), null, true)
                    : chunker.read(c, before.after(), upTo, chunkSize);
            List<List<String>> keys = chunk.rows().isEmpty() ? List.of()
                    : table.keyTexts(c, before.after(), chunk.lastKey());
            if (keys.size() != chunk.rows().size()
                    || (!keys.isEmpty() && !keys.get(keys.size() - 1).equals(chunk.lastKey()))) {
                throw new IllegalStateException("The keys of the chunk of " + table.id() + " after " + before.after()
                        + " differ from its rows (" + keys.size() + " keys, " + chunk.rows().size() + " rows)");
            }
            long s = seq;
            for (int i = 0; i < chunk.rows().size(); i++) {
                Map<String, Object> row = chunk.rows().get(i);
                if (!table.isSoftDeleted(row)) {
                    rows.add(new Row(table, row, keys.get(i), ++s));
                }
            }
            if (shadowed && !rows.isEmpty()) {
                record(c, table, rows);
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }

        boolean tableDone = chunk.last() || chunk.lastKey().equals(upTo);
        SnapshotProgress after = chunk.rows().isEmpty() ? before
                : before.chunkRead(chunk.lastKey(), upTo, rows.size());
        if (tableDone) {
            LOG.info("Source '{}' snapshot of {} done: {} rows in {} chunks in all so far", sourceName, table.id(),
                    after.rows(), after.chunks());
            after = after.tableDone();
        }
        Map<TableId, List<List<String>>> seen = new HashMap<>();
        seen.put(table.id(), rows.stream().map(Row::key).toList());
        logProgress(after);
        if (rows.isEmpty()) {
            progress = after;
            return new Read(0, seen, tableDone ? table.id() : null);
        }
        ready.addAll(rows);
        afterReady = after;
        endsTable = tableDone ? table.id() : null;
        return new Read(rows.size(), seen, null);
    }

    private static void record(Connection c, CapturedTable table, List<Row> rows) throws SQLException {
        int n = table.keyColumns().size();
        try (PreparedStatement ps = c.prepareStatement(table.recordKeysSql())) {
            for (int k = 0; k < n; k++) {
                String[] texts = new String[rows.size()];
                for (int i = 0; i < rows.size(); i++) {
                    texts[i] = rows.get(i).key().get(k);
                }
                ps.setArray(k + 1, c.createArrayOf("text", texts));
            }
            Long[] seqs = new Long[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                seqs[i] = rows.get(i).seq();
            }
            ps.setArray(n + 1, c.createArrayOf("bigint", seqs));
            ps.executeUpdate();
        }
    }

    private void logProgress(SnapshotProgress after) {
        if (after == null) {
            LOG.info("Source '{}' finished its snapshot", sourceName);
        } else if (System.nanoTime() - lastProgressLog >= PROGRESS_NANOS) {
            lastProgressLog = System.nanoTime();
            LOG.info("Source '{}' snapshot: {} rows in {} chunks so far, now in {} after key {} ({} tables left)",
                    sourceName, after.rows(), after.chunks(), after.table(), after.after(), after.tables().size());
        }
    }

    /**
     * Hands out up to {@code max} ready rows. The last row of the chunk moves the progress on;
     * the others carry the progress before the chunk.
     */
    List<Taken> take(int max) {
        List<Taken> out = new ArrayList<>(Math.min(Math.max(max, 0), ready.size()));
        while (out.size() < max && !ready.isEmpty()) {
            Row r = ready.poll();
            if (ready.isEmpty()) {
                progress = afterReady;
                TableId ended = endsTable;
                afterReady = null;
                endsTable = null;
                out.add(new Taken(r, progress, progress == null ? SourceInfo.SNAPSHOT_LAST : SourceInfo.SNAPSHOT_TRUE,
                        ended));
            } else {
                out.add(new Taken(r, progress, SourceInfo.SNAPSHOT_TRUE, null));
            }
        }
        return out;
    }
}
