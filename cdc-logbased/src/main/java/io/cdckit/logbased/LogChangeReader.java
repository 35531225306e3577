package io.cdckit.logbased;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.jdbc.DdlLockWait;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.spi.OffsetCommitPolicy;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Reads changes through Debezium's embedded engine. {@link #open} checks and prepares the
 * database, seeds the engine's offsets with the committed position and waits until the engine
 * streams (its slot then exists, so nothing committed afterwards is missed); {@link #poll} takes
 * the converted events the engine handed over; {@link #committed} lets the engine confirm them
 * to the slot; {@link #backlog} reports what the slot keeps on the server.
 */
final class LogChangeReader implements ChangeReader {

    private static final Logger LOG = LoggerFactory.getLogger(LogChangeReader.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final CdcConfig config;
    private final SourceConnections connections;
    private final String slot;
    private final String publication;
    private final ByteSize maxRetainedWal;
    private final EngineBridge bridge;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable engineError;
    private volatile String engineMessage;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private Thread engineThread;
    private long events;
    private long lastProgressLog = System.nanoTime();
    private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(5);

    LogChangeReader(CdcConfig config, SourceConnections connections) {
        this.config = config;
        this.connections = connections;
        this.slot = LogConfig.slot(config);
        this.publication = LogConfig.publication(config);
        this.maxRetainedWal = config.get(LogConfig.SLOT_MAX_RETAINED_WAL);
        this.bridge = new EngineBridge(new RecordConverter(config.name(), EngineProperties.PLACEHOLDER));
    }

    @Override
    public void open(Position committed) throws Exception {
        LogSetup.checkNamesDebeziumCanParse(config.tables());
        Position after = committed;
        if (after != null && LogState.isRetired(after)) {
            LOG.info("Source '{}' was retired with LogState.drop ({}): starting afresh on a new slot {} "
                    + "(cdc.snapshot.mode={})", config.name(), after.fields(), slot,
                    config.get(CdcConfig.SNAPSHOT_MODE));
            after = null;
        }
        try (Connection c = connections.borrow()) {
            LogSetup setup = new LogSetup(c, DdlLockWait.of(config));
            setup.checkWalLevel();
            setup.checkReplicationPrivilege();
            setup.checkTables(config.tables());
            setup.checkSlot(slot);
            setup.checkSlotUsable(config.name(), slot,
                    after != null && after.fields().get("lsn") instanceof Long lsn ? lsn : null);
            setup.warnWhenSlotWalUnlimited(config.name(), slot);
            if ("full".equals(config.get(LogConfig.REPLICA_IDENTITY))) {
                setup.useFullReplicaIdentity(config.tables());
            }
            setup.ensurePublication(publication, config.tables());
        }
        SeededOffsetBackingStore.Seed seed = after == null ? null
                : new SeededOffsetBackingStore.Seed(EngineProperties.engineName(config),
                Map.of("server", EngineProperties.topicPrefix(config)), after.fields());
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(EngineProperties.of(config, connections, slot, publication))
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
        List<ChangeEvent> out = bridge.poll(maxEvents, timeout);
        if (!out.isEmpty()) {
            events += out.size();
            ChangeEvent last = out.get(out.size() - 1);
            boolean lastOfSnapshot = SourceInfo.SNAPSHOT_LAST.equals(last.source().snapshot());
            if (last.source().isSnapshot() && (lastOfSnapshot || System.nanoTime() - lastProgressLog > PROGRESS_NANOS)) {
                lastProgressLog = System.nanoTime();
                LOG.info("Source '{}' snapshot: {} rows read{}", config.name(), events,
                        lastOfSnapshot ? ", done; streaming now" : " so far (now at " + last.table() + ")");
            }
        }
        return out;
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
        try (Connection c = connections.borrow()) {
            SlotGuard.SlotState state = SlotGuard.read(c, slot);
            return state == null ? Backlog.UNKNOWN : state.backlog(slot, maxRetainedWal);
        }
    }

    @Override
    public void close() throws Exception {
        bridge.close();
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
