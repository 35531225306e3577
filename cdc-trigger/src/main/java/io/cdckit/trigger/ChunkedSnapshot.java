package io.cdckit.trigger;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trigger strategy's snapshot: tables read in key order, one chunk at a time, each chunk in a
 * short REPEATABLE READ transaction of its own, while the change log streams on.
 *
 * <p>No watermark window is needed: the chunk's own snapshot becomes the snapshot that closes the
 * next log batch. Once that batch is delivered, the stream stands exactly at the chunk's
 * snapshot, every transaction visible in it delivered and none other, so the chunk's rows are
 * delivered right there, as current as the stream: a change committed before the chunk's
 * snapshot came before its row, a change committed after it comes after. Per row, events stay in
 * commit order and nothing is lost; a row changed in between arrives as its change and again as
 * the chunk's copy of the same state.
 *
 * <p>The progress (tables left, last key delivered, largest key when the table's snapshot began)
 * is in every position, so a restart resumes at the next chunk; rows delivered twice after a
 * crash are at most those of the chunk in flight.
 */
final class ChunkedSnapshot {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkedSnapshot.class);
    private static final long PROGRESS_NANOS = 5_000_000_000L;

    private final String sourceName;
    private final List<TableId> captured;
    private final int chunkSize;
    private final Map<TableId, CapturedTable> tables = new HashMap<>();
    private final Map<TableId, KeyChunks> chunkers = new HashMap<>();
    private final ArrayDeque<Ready> ready = new ArrayDeque<>();
    /** The progress before the chunk whose rows are ready: the position of all its rows but the last. */
    private SnapshotProgress beforeChunk;
    private String database;
    private volatile SnapshotProgress progress;
    private Pending pending;
    private long lastProgressLog = System.nanoTime();

    /**
     * A row of a delivered chunk, waiting to be handed out; its position is made then, so that a
     * snapshot asked for meanwhile is in it.
     */
    private record Ready(ChangeEvent row, Position base, boolean lastOfChunk) {
    }

    /** A chunk read, waiting for the log batch its snapshot closes to be delivered. */
    private record Pending(CapturedTable table, KeyChunks.Chunk chunk, List<String> upTo) {
    }

    /** {@code cdc.filter.*}: a snapshot reads only the rows that match. */
    private final io.cdckit.api.RowFilters filters;

    ChunkedSnapshot(String sourceName, List<TableId> captured, int chunkSize, io.cdckit.api.RowFilters filters) {
        this.filters = filters;
        this.sourceName = sourceName;
        this.captured = List.copyOf(captured);
        this.chunkSize = chunkSize;
    }

    /** The captured tables as the reader loaded them, and the database name for the events. */
    void tables(Iterable<CapturedTable> loaded, String databaseName) {
        tables.clear();
        for (CapturedTable t : loaded) {
            tables.put(t.id, t);
        }
        this.database = databaseName;
    }

    /** A fresh start: snapshot {@code first}. */
    void begin(List<TableId> first) {
        progress = SnapshotProgress.of(first);
        pending = null;
        ready.clear();
    }

    /**
     * A restart after {@code after}: the snapshot it was in resumes at its next chunk, and with
     * {@code initial}, tables added to {@code cdc.tables} since are snapshotted too.
     */
    void resume(Position after, boolean initial) {
        pending = null;
        ready.clear();
        progress = SnapshotPlan.resume(sourceName, captured, after, initial);
    }

    /** Queues {@code more} tables, after those the snapshot still has. */
    void request(List<TableId> more) {
        progress = SnapshotPlan.request(sourceName, captured, progress, more);
        if (beforeChunk != null) {
            beforeChunk = beforeChunk.plus(more);
        }
        LOG.info("Source '{}' snapshots {} while it streams", sourceName, more);
    }

    boolean hasReadyRows() {
        return !ready.isEmpty();
    }

    boolean wantsChunk() {
        return progress != null && pending == null && ready.isEmpty();
    }

    boolean chunkPending() {
        return pending != null;
    }

    /**
     * Reads the next chunk in a short REPEATABLE READ transaction of its own.
     *
     * @return the transaction's snapshot, which is to close the next log batch
     */
    String readChunk(SourceConnections connections) throws SQLException {
        CapturedTable table = tables.get(progress.table());
        try (Connection c = connections.borrow()) {
            c.setAutoCommit(false);
            try {
                String snapshot;
                try (Statement st = c.createStatement()) {
                    st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                    try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_snapshot()::text")) {
                        rs.next();
                        snapshot = rs.getString(1);
                    }
                }
                KeyChunks chunker = chunkers.get(table.id);
                if (chunker == null) {
                    chunker = KeyChunks.of(c, table.schema, filters.of(table.id));
                    chunkers.put(table.id, chunker);
                }
                List<String> upTo = progress.tableNotBegun() ? chunker.maxKey(c) : progress.upTo();
                if (progress.tableNotBegun()) {
                    LOG.info("Source '{}' snapshot of {} begins: keys up to {}, {} rows a chunk", sourceName, table.id,
                            upTo, chunkSize);
                }
                KeyChunks.Chunk chunk = upTo == null ? new KeyChunks.Chunk(List.of(), null, true)
                        : chunker.read(c, progress.after(), upTo, chunkSize);
                c.commit();
                pending = new Pending(table, chunk, upTo);
                return snapshot;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * The batch the pending chunk's snapshot closed was delivered: the chunk's rows are ready, at
     * {@code base}, the position after that batch.
     */
    void batchClosed(Position base) {
        Pending p = pending;
        pending = null;
        SnapshotProgress before = progress;
        KeyChunks.Chunk chunk = p.chunk();
        SnapshotProgress after = chunk.rows().isEmpty() ? before
                : before.chunkRead(chunk.lastKey(), p.upTo(), chunk.rows().size());
        if (chunk.last()) {
            LOG.info("Source '{}' snapshot of {} done: {} rows in {} chunks in all so far", sourceName,
                    p.table().id, after.rows(), after.chunks());
            after = after.tableDone();
        }
        progress = after;
        beforeChunk = before;
        List<Map<String, Object>> rows = chunk.rows();
        for (int i = 0; i < rows.size(); i++) {
            boolean lastOfChunk = i == rows.size() - 1;
            Map<String, Object> row = rows.get(i);
            String flag = lastOfChunk && after == null ? SourceInfo.SNAPSHOT_LAST : SourceInfo.SNAPSHOT_TRUE;
            SourceInfo source = new SourceInfo(CdckitVersion.get(), TriggerChangeSourceProvider.MODE, sourceName, null,
                    flag, database, p.table().id.schema(), p.table().id.table(), null, null, null, null);
            ready.add(new Ready(new ChangeEvent(Op.READ, null, row, p.table().schema.keyOf(row), source,
                    System.currentTimeMillis(), null, base), base, lastOfChunk));
        }
        if (after != null && System.nanoTime() - lastProgressLog > PROGRESS_NANOS) {
            lastProgressLog = System.nanoTime();
            LOG.info("Source '{}' snapshot: {} rows in {} chunks so far, now in {} after key {} ({} tables left)",
                    sourceName, after.rows(), after.chunks(), after.table(), after.after(), after.tables().size());
        } else if (after == null) {
            LOG.info("Source '{}' finished its snapshot", sourceName);
        }
    }

    /** Up to {@code max} rows of the delivered chunk, with their positions as of now. */
    List<ChangeEvent> take(int max) {
        List<ChangeEvent> out = new ArrayList<>(Math.min(Math.max(max, 0), ready.size()));
        while (out.size() < max && !ready.isEmpty()) {
            Ready r = ready.poll();
            // a restart before the chunk's last row was committed reads the chunk again
            Position position = withProgress(r.base(), r.lastOfChunk() ? progress : beforeChunk);
            ChangeEvent e = r.row();
            out.add(new ChangeEvent(e.op(), e.before(), e.after(), e.key(), e.source(), e.tsMs(), e.transaction(),
                    position));
        }
        return out;
    }

    /** The progress now, for status(); any thread. */
    SnapshotProgress progress() {
        return progress;
    }

    /** {@code base} with the current progress and the captured tables. */
    Position position(Position base) {
        return withProgress(base, progress);
    }

    private Position withProgress(Position base, SnapshotProgress p) {
        Map<String, Object> f = new LinkedHashMap<>(base.fields());
        SnapshotProgress.addTo(f, p);
        f.putAll(SnapshotProgress.capturedField(captured));
        return new Position(f);
    }
}
