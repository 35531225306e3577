package io.cdckit.logbased;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Position;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.WholeTransactions;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.spi.OffsetCommitPolicy;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Reads changes through Debezium's embedded engine. {@link #open} checks and prepares the
 * database, seeds the engine's offsets with the committed position and waits until the engine
 * streams (its slot then exists, so nothing committed afterwards is missed); {@link #poll} takes
 * the converted events the engine handed over, with the rows of the chunked snapshot
 * ({@link WatermarkSnapshot}) where their high watermarks pass; {@link #committed} lets the engine
 * confirm them to the slot; {@link #backlog} reports what the slot keeps on the server.
 *
 * <p>Every position carries the snapshot's progress and the captured tables besides Debezium's
 * source offset, which alone seeds the engine. On servers before PostgreSQL 14, whose
 * {@code pgoutput} does not send logical messages (the watermarks), Debezium takes the snapshot of
 * a fresh source itself, in one transaction, and snapshots on demand are refused.
 */
final class LogChangeReader implements ChangeReader {

    private static final Logger LOG = LoggerFactory.getLogger(LogChangeReader.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** The first server version whose pgoutput sends logical messages, which carry the watermarks. */
    static final int CHUNKED_SNAPSHOT_VERSION = 140000;
    /** Debezium's fields of an offset taken during its own snapshot. */
    private static final List<String> DEBEZIUM_SNAPSHOT_FIELDS = List.of("snapshot", "last_snapshot_record",
            "snapshot_completed");

    private final CdcConfig config;
    private final SourceConnections connections;
    private final String slot;
    private final String publication;
    private final ByteSize maxRetainedWal;
    private final EngineBridge bridge;
    /** cdc.batch.transactions=whole: polls return whole transactions, numbered. */
    private final boolean wholeTransactions;
    private final WatermarkSnapshot snapshots;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable engineError;
    private volatile String engineMessage;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private Thread engineThread;
    /** False before PostgreSQL 14: no watermarks, Debezium takes the initial snapshot. */
    private volatile boolean chunked = true;
    private long debeziumSnapshotRows;
    private long lastProgressLog = System.nanoTime();
    private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(5);

    LogChangeReader(CdcConfig config, SourceConnections connections) {
        this.config = config;
        this.connections = connections;
        this.slot = LogConfig.slot(config);
        this.publication = LogConfig.publication(config);
        this.maxRetainedWal = config.get(LogConfig.SLOT_MAX_RETAINED_WAL);
        this.bridge = new EngineBridge(new RecordConverter(config.name(), EngineProperties.PLACEHOLDER),
                EngineProperties.WATERMARK_PREFIX, WholeTransactions.requested(config));
        this.wholeTransactions = WholeTransactions.requested(config);
        this.snapshots = new WatermarkSnapshot(config.name(), config.tables(), config.get(CdcConfig.KEY_COLUMNS),
                io.cdckit.api.RowFilters.of(config),
                config.get(CdcConfig.SNAPSHOT_CHUNK_SIZE),
                connections);
    }

    @Override
    public void open(Position committed) throws Exception {
        LogSetup.checkNamesDebeziumCanParse(config.tables());
        Position after = committed;
        after = LogPreparation.unlessRetired(config, after, slot);
        boolean initial = "initial".equals(config.get(CdcConfig.SNAPSHOT_MODE));
        if (after != null && PgOutputReceiver.ENGINE.equals(after.fields().get(PgOutputReceiver.ENGINE_FIELD))) {
            throw new CdcException("Source '" + config.name() + "' was captured with cdc.log.engine=pgoutput: its "
                    + "committed position is an LSN of that engine, which Debezium cannot resume from. Keep "
                    + "cdc.log.engine=pgoutput, or retire the source with LogState.drop(config) and start it afresh "
                    + "(a new snapshot with cdc.snapshot.mode=initial).");
        }
        chunked = LogPreparation.prepare(config, connections, snapshots, slot, publication,
                LogPreparation.committedLsn(after)) >= CHUNKED_SNAPSHOT_VERSION;
        Map<String, Object> offset = after == null ? null : positionToResume(after, initial);
        if (after == null && chunked && initial) {
            snapshots.begin(config.tables());
        }
        SeededOffsetBackingStore.Seed seed = offset == null ? null
                : new SeededOffsetBackingStore.Seed(EngineProperties.engineName(config),
                Map.of("server", EngineProperties.topicPrefix(config)), offset);
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(EngineProperties.of(config, connections, slot, publication, !chunked && initial))
                .using(OffsetCommitPolicy.always())
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        started.countDown();
                    }
                })
                .using((success, message, error) -> {
                    if (!success || error != null) {
                        engineMessage = message;
                        engineError = error != null ? error : new IllegalStateException(message);
                        bridge.failed(failure(started.getCount() > 0));
                    }
                    started.countDown();
                    stopped.countDown();
                })
                .notifying(bridge)
                .build();
        engineThread = new Thread(() -> {
            SeededOffsetBackingStore.seedForCurrentThread(seed);
            try {
                engine.run();
            } finally {
                SeededOffsetBackingStore.seedForCurrentThread(null);
            }
        }, "cdckit-log-" + config.name());
        engineThread.setDaemon(true);
        LOG.info("Starting Debezium for source '{}' on slot {} and publication {}{}", config.name(), slot,
                publication, after == null ? " (no committed position: cdc.snapshot.mode="
                        + config.get(CdcConfig.SNAPSHOT_MODE) + ")" : " after " + after.fields());
        engineThread.start();
        if (!started.await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new CdcException("Debezium did not start within " + START_TIMEOUT.toSeconds() + " s for source '"
                    + config.name() + "': check that the database accepts replication connections from this host "
                    + "(pg_hba.conf) and that max_replication_slots and max_wal_senders leave room for one more.");
        }
        if (engineError != null) {
            throw failure(true);
        }
    }

    /**
     * Sets the snapshot up as {@code after} says and returns the Debezium offset to resume after
     * (null: none, the slot's own position).
     */
    private Map<String, Object> positionToResume(Position after, boolean initial) {
        Map<String, Object> fields = new LinkedHashMap<>(after.fields());
        if (!chunked) {
            if (SnapshotProgress.from(after) != null) {
                LOG.warn("Source '{}' stopped during a chunked snapshot, which needs PostgreSQL 14 or later; this "
                        + "server is older, so the snapshot of {} does not continue: rebuild what you replicate "
                        + "to from a new source on this server", config.name(), SnapshotProgress.from(after).tables());
            }
            List<TableId> before = SnapshotProgress.captured(after);
            if (initial && before != null && !before.containsAll(config.tables())) {
                LOG.warn("Source '{}' captures tables added to cdc.tables since its last run; this server is older "
                        + "than PostgreSQL 14, so they are not snapshotted, only their changes from now on arrive",
                        config.name());
            }
            return SeededOffsetBackingStore.debeziumOffset(fields);
        }
        if (fields.containsKey("snapshot") && !Boolean.TRUE.equals(fields.get("last_snapshot_record"))) {
            LOG.info("Source '{}' stopped during a snapshot taken by Debezium in one transaction: taking a chunked "
                    + "snapshot of {} instead, streaming from where that one began", config.name(), config.tables());
            DEBEZIUM_SNAPSHOT_FIELDS.forEach(fields::remove);
            snapshots.begin(config.tables());
        } else {
            DEBEZIUM_SNAPSHOT_FIELDS.forEach(fields::remove);
            snapshots.resume(after, initial);
        }
        return SeededOffsetBackingStore.debeziumOffset(fields);
    }

    private CdcException failure(boolean starting) {
        if (SlotGuard.isInvalidatedSlotError(engineError)) {
            return SlotGuard.invalidated(config.name(), slot, null, connections.masking().scrubbed(engineError));
        }
        Throwable root = engineError;
        java.sql.SQLException sql = null;
        for (Throwable t = engineError; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLException e && sql == null) {
                sql = e;
            }
            root = t;
        }
        String detail = root == null ? engineMessage : root.getMessage() != null ? root.getMessage() : root.toString();
        detail = connections.masking().scrub(detail);
        String lower = String.valueOf(detail).toLowerCase(java.util.Locale.ROOT);
        String fix = sql != null || lower.contains("ssl") || lower.contains("password authentication")
                ? " " + connections.fixFor(sql == null ? null : sql.getSQLState(), detail) : "";
        return new CdcException("Debezium stopped for source '" + config.name() + "' (slot " + slot + ", publication "
                + publication + "): " + detail + "." + fix + (starting ? " Fix it and start the source again."
                : " The source reopens from its last committed position (cdc.reconnect.*); if the cause persists, "
                + "fix it and restart."), connections.masking().scrubbed(engineError));
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
        snapshots.failIfChunkFailed();
        // the next chunk is read while the last one's rows are handed out: they still come before anything after it
        snapshots.startChunkIfWanted();
        if (snapshots.hasReadyRows()) {
            return snapshots.take(maxEvents);
        }
        List<EngineBridge.Item> items = bridge.poll(maxEvents, timeout);
        List<ChangeEvent> out = new ArrayList<>(items.size());
        for (EngineBridge.Item item : items) {
            if (item.change() != null) {
                snapshots.observe(item.change());
                out.add(item.change().event(snapshots.positionFields()));
            } else {
                snapshots.watermark(item.watermark());
            }
        }
        if (snapshots.hasReadyRows() && out.size() < maxEvents) {
            out.addAll(snapshots.take(maxEvents - out.size()));
        }
        if (!chunked && !out.isEmpty()) {
            logDebeziumSnapshot(out);
        }
        return wholeTransactions ? WholeTransactions.number(out) : out;
    }

    /** Progress of a snapshot Debezium takes (servers before PostgreSQL 14). */
    private void logDebeziumSnapshot(List<ChangeEvent> out) {
        ChangeEvent last = out.get(out.size() - 1);
        if (!last.source().isSnapshot()) {
            return;
        }
        debeziumSnapshotRows += out.stream().filter(e -> e.source().isSnapshot()).count();
        boolean lastOfSnapshot = SourceInfo.SNAPSHOT_LAST.equals(last.source().snapshot());
        if (lastOfSnapshot || System.nanoTime() - lastProgressLog > PROGRESS_NANOS) {
            lastProgressLog = System.nanoTime();
            LOG.info("Source '{}' snapshot: {} rows read{}", config.name(), debeziumSnapshotRows,
                    lastOfSnapshot ? ", done; streaming now" : " so far (now at " + last.table() + ")");
        }
    }

    /**
     * Where the chunked snapshot stands, or null when none runs; any thread. Before PostgreSQL 14,
     * where Debezium takes the snapshot, unknown: the committed position tells.
     */
    @Override
    public SnapshotProgress snapshotProgress() {
        return chunked ? snapshots.progress() : SnapshotProgress.UNKNOWN;
    }

    /**
     * Queues a chunked snapshot of {@code tables} while the reader streams on.
     *
     * @throws UnsupportedOperationException before PostgreSQL 14, whose pgoutput sends no watermarks
     */
    @Override
    public void snapshot(List<TableId> tables) {
        if (!chunked) {
            throw new UnsupportedOperationException("snapshots on demand with cdc.mode=log need PostgreSQL 14 or "
                    + "later, whose pgoutput sends the logical messages that mark each chunk in the WAL");
        }
        snapshots.request(tables);
    }

    @Override
    public void committed(Position position) {
        bridge.committedAllPolled();
    }

    /**
     * The WAL the slot retains and has not had confirmed, from {@code pg_replication_slots} on a
     * borrowed connection, with a warning when it retains more than
     * {@code cdc.log.slot.max-retained-wal} or PostgreSQL is about to invalidate it (or did). Uses
     * only final fields, so any thread may call it.
     */
    @Override
    public Backlog backlog() throws Exception {
        return SlotGuard.backlog(connections, slot, maxRetainedWal);
    }

    @Override
    public void close() throws Exception {
        bridge.close();
        snapshots.close();
        if (engine == null) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                engine.close();
                break;
            } catch (IllegalStateException e) {
                // still starting its tasks, or already stopped
                if (stopped.getCount() == 0 || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(50);
            }
        }
        if (!stopped.await(30, TimeUnit.SECONDS)) {
            LOG.warn("Debezium of source '{}' did not stop within 30 s", config.name());
        }
    }
}
