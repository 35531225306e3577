package io.cdckit.logbased;

import io.cdckit.api.CdckitVersion;
import io.cdckit.api.HandedOver;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.TransactionInfo;
import io.cdckit.api.jdbc.SourceConnections;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The native engine's receiving side: a thread of its own reads the slot through pgjdbc's
 * replication stream ({@code pgoutput}, protocol version 1, logical messages on), decodes each
 * message and puts changes, watermarks and transaction ends into a bounded queue, in stream
 * order; a full queue holds the stream back, so memory is bounded by the queue, not by the size of
 * a transaction. Standby status feedback confirms only what the reader says was committed
 * ({@link #confirm}); while waiting it keeps the connection alive. Between transactions the
 * position the server reports (keepalives, heartbeat messages) becomes confirmable too, so the slot
 * advances while the captured tables are idle.
 *
 * <p>On a restart the server sends again every transaction that committed after the slot's
 * confirmed position; the receiver drops the changes the committed position says were delivered
 * (whole transactions committed before it, and the first events of the one it stopped in).
 */
final class PgOutputReceiver implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PgOutputReceiver.class);
    /** The position field that names the engine. */
    static final String ENGINE_FIELD = "engine";
    /** Its value for this engine. */
    static final String ENGINE = "pgoutput";
    static final String COMMIT_LSN = "lsn_commit";
    static final String TX_EVENT = "tx_event";
    /** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;
    private static final long IDLE_CONFIRM_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long FEEDBACK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long KEEPALIVE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final Object UNAVAILABLE = new Object();

    /** What the queue carries. */
    sealed interface Item {
    }

    /** A change. */
    record ChangeItem(RecordConverter.Change change) implements Item {
    }

    /** A watermark of a chunked snapshot. */
    record MarkItem(RecordConverter.Watermark watermark) implements Item {
    }

    /**
     * The stream passed {@code lsn} between transactions: at a transaction's end
     * ({@code transactionEnd}), or at a keepalive or heartbeat while idle. Confirmable once
     * everything before it was committed.
     */
    record EndItem(long lsn, boolean transactionEnd) implements Item {
    }

    /**
     * Where a restart resumes: every event of the transactions that committed before
     * {@code commitLsn} was delivered, and the first {@code eventsDone} events of that one.
     */
    record Resume(long commitLsn, long eventsDone) {

        /** The resume point of a position of this engine, or null when it has none. */
        static Resume of(Position position) {
            if (position == null || !(position.fields().get(COMMIT_LSN) instanceof Number lsn)) {
                return null;
            }
            Object done = position.fields().get(TX_EVENT);
            return new Resume(lsn.longValue(), done instanceof Number n ? n.longValue() : 0);
        }
    }

    private final String sourceName;
    private final String database;
    private final SourceConnections connections;
    private final String slot;
    private final String publication;
    private final boolean transactionMetadata;
    private final Duration heartbeat;
    private final PgOutputRelations relations;
    private final BlockingQueue<Item> queue;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile long confirmTarget;

    // the receiving thread's state
    private Connection connection;
    private PGReplicationStream stream;
    private Resume resume;
    private boolean inTransaction;
    private long commitLsn;
    private long xid;
    private long commitMs;
    private long index;
    private boolean skipAll;
    private long skipUpTo;
    private final Map<TableId, Long> tableOrders = new HashMap<>();
    private long lastEnd;
    private long lastIdleEnd;
    private long lastIdleNanos = System.nanoTime();
    private long confirmed;
    private long lastFeedback = System.nanoTime();
    private long lastHeartbeat = System.nanoTime();

    PgOutputReceiver(String sourceName, String database, SourceConnections connections, String slot,
                     String publication, io.cdckit.api.TableColumns keyColumns, boolean transactionMetadata,
                     Duration heartbeat, int capacity, Resume resume) {
        this.sourceName = sourceName;
        this.database = database;
        this.connections = connections;
        this.slot = slot;
        this.publication = publication;
        this.transactionMetadata = transactionMetadata;
        this.heartbeat = heartbeat;
        this.relations = new PgOutputRelations(connections, keyColumns);
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.resume = resume;
        this.thread = new Thread(this::run, "cdckit-pgoutput-" + sourceName);
        this.thread.setDaemon(true);
    }

    /**
     * Opens the replication connection, creates the slot when it is missing and starts streaming
     * from the slot's confirmed position.
     */
    void start() throws SQLException {
        Properties p = new Properties();
        p.setProperty("replication", "database");
        p.setProperty("assumeMinServerVersion", "10");
        p.setProperty("preferQueryMode", "simple");
        connection = connections.open("the replication stream", p);
        PGConnection pg = connection.unwrap(PGConnection.class);
        if (!slotExists()) {
            pg.getReplicationAPI().createReplicationSlot().logical().withSlotName(slot).withOutputPlugin("pgoutput")
                    .make();
            LOG.info("Created replication slot {} for source '{}'", slot, sourceName);
        }
        stream = pg.getReplicationAPI().replicationStream().logical().withSlotName(slot)
                .withStartPosition(LogSequenceNumber.INVALID_LSN)
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", "\"" + publication.replace("\"", "\"\"") + "\"")
                .withSlotOption("messages", "true")
                .withStatusInterval(10, TimeUnit.SECONDS)
                .start();
        thread.start();
    }

    private boolean slotExists() throws SQLException {
        try (Connection c = connections.borrow(); PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (var rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * The next item, waiting until {@code deadlineNanos} ({@link System#nanoTime}) at most; null
     * when none came.
     *
     * @throws Exception the receiving thread's failure, once everything it received was taken
     */
    Item take(long deadlineNanos) throws Exception {
        Item item = queue.poll();
        while (item == null) {
            rethrow();
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            item = queue.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
        }
        return item;
    }

    /** The next item if one is there; null otherwise. */
    Item takeNow() throws Exception {
        Item item = queue.poll();
        if (item == null) {
            rethrow();
        }
        return item;
    }

    private void rethrow() throws Exception {
        Throwable f = failure;
        if (f instanceof Exception e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
    }

    /** Everything up to {@code lsn} was committed: the slot may confirm it. Any thread. */
    void confirm(long lsn) {
        if (lsn > confirmTarget) {
            confirmTarget = lsn;
        }
    }

    private void run() {
        try {
            while (!closed) {
                ByteBuffer buf = stream.readPending();
                if (buf == null) {
                    idle();
                    continue;
                }
                handle(PgOutputMessage.decode(buf), stream.getLastReceiveLSN().asLong());
                feedback(false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            if (!closed) {
                failure = t;
                LOG.debug("The pgoutput stream of source '{}' failed", sourceName, t);
            }
        }
    }

    /** Nothing to read now: feedback, an idle position to confirm, the heartbeat; then a short pause. */
    private void idle() throws Exception {
        feedback(false);
        long received = stream.getLastReceiveLSN().asLong();
        long now = System.nanoTime();
        if (!inTransaction && received > lastIdleEnd && received > lastEnd && queue.isEmpty()
                && now - lastIdleNanos >= IDLE_CONFIRM_NANOS) {
            lastIdleEnd = received;
            lastIdleNanos = now;
            put(new EndItem(received, false));
        }
        if (!heartbeat.isZero() && now - lastHeartbeat >= heartbeat.toNanos()) {
            lastHeartbeat = now;
            heartbeat();
        }
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
    }

    /** Writes a heartbeat message into the WAL: the server then has something to send for the slot. */
    private void heartbeat() {
        try (Connection c = connections.borrow(); PreparedStatement ps = c.prepareStatement(
                "SELECT pg_catalog.pg_logical_emit_message(false, CAST(? AS text), '')")) {
            ps.setString(1, EngineProperties.HEARTBEAT_PREFIX);
            ps.executeQuery().close();
        } catch (SQLException e) {
            LOG.warn("Source '{}' could not write its WAL heartbeat: {}", sourceName,
                    connections.masking().scrub(e.getMessage()));
        }
    }

    /** Sends the confirmed position when it moved (at most every 100 ms), or to keep the connection alive. */
    private void feedback(boolean keepAlive) throws SQLException {
        long now = System.nanoTime();
        long target = confirmTarget;
        if ((target > confirmed && now - lastFeedback >= FEEDBACK_NANOS) || (keepAlive && now - lastFeedback >= KEEPALIVE_NANOS)) {
            sendStatus(target);
            lastFeedback = now;
        }
    }

    /** Sends a status update, confirming {@code target} when it is past what was confirmed. */
    private void sendStatus(long target) throws SQLException {
        if (target > confirmed) {
            LogSequenceNumber lsn = LogSequenceNumber.valueOf(target);
            stream.setFlushedLSN(lsn);
            stream.setAppliedLSN(lsn);
            confirmed = target;
        }
        stream.forceUpdateStatus();
    }

    private void put(Item item) throws Exception {
        while (!queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
            if (closed) {
                throw new InterruptedException("closed");
            }
            // the reader is behind: keep the server from timing the connection out meanwhile
            feedback(true);
        }
    }

    private void handle(PgOutputMessage message, long lsn) throws Exception {
        if (message instanceof PgOutputMessage.Insert i) {
            PgOutputRelations.Relation rel = relations.get(i.relation());
            emit(Op.CREATE, rel, null, row(rel, i.after()), lsn);
        } else if (message instanceof PgOutputMessage.Update u) {
            update(u, lsn);
        } else if (message instanceof PgOutputMessage.Delete d) {
            PgOutputRelations.Relation rel = relations.get(d.relation());
            emit(Op.DELETE, rel, row(rel, d.before()), null, lsn);
        } else if (message instanceof PgOutputMessage.Begin b) {
            inTransaction = true;
            commitLsn = b.finalLsn();
            xid = b.xid();
            commitMs = (b.commitTimeMicros() + PG_EPOCH_MICROS) / 1000;
            index = 0;
            tableOrders.clear();
            skipAll = resume != null && commitLsn < resume.commitLsn();
            skipUpTo = resume != null && commitLsn == resume.commitLsn() ? resume.eventsDone() : 0;
        } else if (message instanceof PgOutputMessage.Commit c) {
            inTransaction = false;
            if (resume != null && c.commitLsn() >= resume.commitLsn()) {
                resume = null;
            }
            lastEnd = Math.max(lastEnd, c.endLsn());
            put(new EndItem(c.endLsn(), true));
        } else if (message instanceof PgOutputMessage.Relation r) {
            relations.describe(r);
        } else if (message instanceof PgOutputMessage.Truncate t) {
            for (int oid : t.relations()) {
                emit(Op.TRUNCATE, relations.get(oid), null, null, lsn);
            }
        } else if (message instanceof PgOutputMessage.Message m) {
            if (m.transactional() && EngineProperties.WATERMARK_PREFIX.equals(m.prefix())) {
                put(new MarkItem(new RecordConverter.Watermark(new String(m.content(), StandardCharsets.UTF_8),
                        offset(lsn))));
            } else if (!m.transactional() && !inTransaction && lsn > lastEnd) {
                lastEnd = lsn;
                put(new EndItem(lsn, false));
            }
        }
        // type and origin messages: nothing to do
    }

    /** An update; one that changed the key arrives as a delete and a create, as Debezium reports it. */
    private void update(PgOutputMessage.Update u, long lsn) throws Exception {
        PgOutputRelations.Relation rel = relations.get(u.relation());
        Map<String, Object> before = u.before() == null ? null : row(rel, u.before());
        Map<String, Object> after = row(rel, u.after());
        fillUnavailable(before, after);
        if (before != null && rel.key().length > 0 && !sameKey(rel, before, after)) {
            emit(Op.DELETE, rel, before, null, lsn);
            emit(Op.CREATE, rel, null, after, lsn);
        } else {
            emit(Op.UPDATE, rel, before, after, lsn);
        }
    }

    private void emit(Op op, PgOutputRelations.Relation rel, Map<String, Object> before, Map<String, Object> after,
                      long lsn) throws Exception {
        index++;
        if (skipAll || index <= skipUpTo) {
            return;
        }
        fillUnavailable(before, after); // done already for an update's images: nothing left to fill
        Map<String, Object> key = op == Op.TRUNCATE || rel.key().length == 0 ? null
                : keyOf(rel, op == Op.DELETE ? before : after);
        long tableOrder = tableOrders.merge(rel.id(), 1L, Long::sum);
        SourceInfo source = new SourceInfo(CdckitVersion.get(), LogChangeSourceProvider.MODE, sourceName, commitMs,
                SourceInfo.SNAPSHOT_FALSE, database, rel.id().schema(), rel.id().table(), xid, lsn, null,
                "[\"" + commitLsn + "\",\"" + lsn + "\"]");
        TransactionInfo tx = transactionMetadata ? new TransactionInfo(Long.toString(xid), index, tableOrder) : null;
        put(new ChangeItem(new RecordConverter.Change(op, before == null ? null : HandedOver.map(before),
                after == null ? null : HandedOver.map(after), key == null ? null : HandedOver.map(key), source,
                System.currentTimeMillis(), tx, offset(lsn))));
    }

    /** The position fields of what the stream holds at {@code lsn} in the current transaction. */
    private Map<String, Object> offset(long lsn) {
        Map<String, Object> fields = new LinkedHashMap<>(8);
        fields.put(ENGINE_FIELD, ENGINE);
        fields.put("lsn", lsn);
        fields.put(COMMIT_LSN, commitLsn);
        fields.put(TX_EVENT, index);
        fields.put("txId", xid);
        fields.put("ts_usec", commitMs * 1000);
        return fields;
    }

    private static Map<String, Object> row(PgOutputRelations.Relation rel, PgOutputMessage.Tuple tuple) {
        String[] values = tuple.values();
        Map<String, Object> row = new LinkedHashMap<>(values.length * 2);
        for (int i = 0; i < values.length && i < rel.names().length; i++) {
            String v = values[i];
            row.put(rel.names()[i], PgOutputMessage.Tuple.unchanged(v) ? UNAVAILABLE : TextValues.decode(rel.types()[i], v));
        }
        return row;
    }

    /**
     * An unchanged TOASTed column is not in the WAL of an update: its after value is taken from
     * the before image when that holds it (REPLICA IDENTITY FULL); otherwise the column is left
     * out of the image, so a missing column means "not available", never a wrong value.
     */
    private static void fillUnavailable(Map<String, Object> before, Map<String, Object> after) {
        if (after != null) {
            for (Iterator<Map.Entry<String, Object>> it = after.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Object> e = it.next();
                if (e.getValue() == UNAVAILABLE) {
                    Object old = before == null ? UNAVAILABLE : before.getOrDefault(e.getKey(), UNAVAILABLE);
                    if (old == UNAVAILABLE) {
                        it.remove();
                    } else {
                        e.setValue(old);
                    }
                }
            }
        }
        if (before != null) {
            before.values().removeIf(v -> v == UNAVAILABLE);
        }
    }

    private static Map<String, Object> keyOf(PgOutputRelations.Relation rel, Map<String, Object> row) {
        Map<String, Object> key = new LinkedHashMap<>();
        for (int i : rel.key()) {
            key.put(rel.names()[i], row.get(rel.names()[i]));
        }
        return key;
    }

    private static boolean sameKey(PgOutputRelations.Relation rel, Map<String, Object> before,
                                   Map<String, Object> after) {
        for (int i : rel.key()) {
            String name = rel.names()[i];
            if (!Objects.deepEquals(before.get(name), after.get(name))) {
                return false;
            }
        }
        return true;
    }

    /** Stops the thread and closes the stream and its connection; changes not taken are read again on restart. */
    @Override
    public void close() {
        closed = true;
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // what was committed last is confirmed before leaving, so a restart is not sent it again
        try {
            long target = confirmTarget;
            if (stream != null && !thread.isAlive() && !stream.isClosed() && target > confirmed) {
                sendStatus(target);
            }
        } catch (SQLException e) {
            LOG.debug("Could not confirm the last position of source '{}' on closing", sourceName, e);
        }
        // closing the connection ends the stream: a clean CopyDone would wait for the server to drain
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException e) {
            LOG.debug("Closing the replication connection of source '{}'", sourceName, e);
        }
    }
}
