package io.cdckit.logbased;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Position;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.WholeTransactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The native log engine, {@code cdc.log.engine=pgoutput}: reads the replication slot's
 * {@code pgoutput} stream through pgjdbc ({@link PgOutputReceiver}) instead of through Debezium,
 * with the same setup checks ({@link LogPreparation}), the same chunked snapshot with watermarks
 * in the WAL ({@link WatermarkSnapshot}) and the same events.
 *
 * <p>Positions carry the commit LSN of the event's transaction and how many of its events were
 * delivered; the slot is confirmed only up to the end of the last transaction whose events were
 * all committed, so a restart resumes inside a transaction without losing or repeating an event
 * of it. Debezium's positions are refused, as Debezium refuses these.
 */
final class PgOutputChangeReader implements ChangeReader {

    private static final Logger LOG = LoggerFactory.getLogger(PgOutputChangeReader.class);

    private final CdcConfig config;
    private final SourceConnections connections;
    private final String slot;
    private final String publication;
    private final ByteSize maxRetainedWal;
    private final boolean wholeTransactions;
    private final WatermarkSnapshot snapshots;
    private PgOutputReceiver receiver;
    /** The end of the last transaction all of whose events were returned (or of an idle stretch). */
    private long confirmable;
    /** Whole transactions: the events of the transaction being read, and a complete one held for the next poll. */
    private List<ChangeEvent> open = new ArrayList<>();
    private List<ChangeEvent> held;
    private long heldEnd;

    PgOutputChangeReader(CdcConfig config, SourceConnections connections) {
        this.config = config;
        this.connections = connections;
        this.slot = LogConfig.slot(config);
        this.publication = LogConfig.publication(config);
        this.maxRetainedWal = config.get(LogConfig.SLOT_MAX_RETAINED_WAL);
        this.wholeTransactions = WholeTransactions.requested(config);
        this.snapshots = new WatermarkSnapshot(config.name(), config.tables(), config.get(CdcConfig.KEY_COLUMNS),
                io.cdckit.api.RowFilters.of(config), config.get(CdcConfig.SNAPSHOT_CHUNK_SIZE), connections);
    }

    @Override
    public void open(Position committed) throws Exception {
        Position after = committed;
        after = LogPreparation.unlessRetired(config, after, slot);
        if (after != null && !PgOutputReceiver.ENGINE.equals(after.fields().get(PgOutputReceiver.ENGINE_FIELD))) {
            throw new CdcException("Source '" + config.name() + "' was captured with cdc.log.engine=debezium: its "
                    + "committed position is a Debezium offset, which the pgoutput engine does not resume from. Keep "
                    + "cdc.log.engine=debezium, or retire the source with LogState.drop(config) and start it afresh "
                    + "(a new snapshot with cdc.snapshot.mode=initial).");
        }
        int version = LogPreparation.prepare(config, connections, snapshots, slot, publication,
                LogPreparation.committedLsn(after));
        if (version < LogChangeReader.CHUNKED_SNAPSHOT_VERSION) {
            throw new CdcException("cdc.log.engine=pgoutput needs PostgreSQL 14 or later (its pgoutput sends the "
                    + "logical messages that carry snapshot watermarks); this server runs " + version
                    + ". Use cdc.log.engine=debezium.");
        }
        boolean initial = "initial".equals(config.get(CdcConfig.SNAPSHOT_MODE));
        if (after == null) {
            if (initial) {
                snapshots.begin(config.tables());
            }
        } else {
            snapshots.resume(after, initial);
        }
        boolean metadata = config.get(LogConfig.TRANSACTIONS) && !wholeTransactions;
        int batch = config.get(CdcConfig.BATCH_MAX_SIZE);
        receiver = new PgOutputReceiver(config.name(), snapshots.database(), connections, slot, publication,
                config.get(CdcConfig.KEY_COLUMNS), metadata, config.get(LogConfig.HEARTBEAT_INTERVAL),
                Math.max(8192, 4 * batch), PgOutputReceiver.Resume.of(after));
        LOG.info("Starting the pgoutput engine for source '{}' on slot {} and publication {}{}", config.name(), slot,
                publication, after == null ? " (no committed position: cdc.snapshot.mode="
                        + config.get(CdcConfig.SNAPSHOT_MODE) + ")" : " after " + after.fields());
        try {
            receiver.start();
        } catch (java.sql.SQLException e) {
            throw failure(e, true);
        }
    }

    private CdcException failure(Throwable error, boolean starting) {
        if (SlotGuard.isInvalidatedSlotError(error)) {
            return SlotGuard.invalidated(config.name(), slot, null, connections.masking().scrubbed(error));
        }
        java.sql.SQLException sql = error instanceof java.sql.SQLException e ? e : null;
        String detail = connections.masking().scrub(String.valueOf(error.getMessage()));
        String fix = sql != null ? " " + connections.fixFor(sql.getSQLState(), detail) : "";
        return new CdcException("The pgoutput stream of source '" + config.name() + "' (slot " + slot + ", publication "
                + publication + ") failed: " + detail + "." + fix + (starting ? " Fix it and start the source again."
                : " The source reopens from its last committed position (cdc.reconnect.*)."),
                connections.masking().scrubbed(error));
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
        snapshots.failIfChunkFailed();
        snapshots.startChunkIfWanted();
        // the delivery loop committed everything returned before this poll
        receiver.confirm(confirmable);
        if (snapshots.hasReadyRows()) {
            return snapshots.take(maxEvents);
        }
        List<ChangeEvent> out = new ArrayList<>();
        if (held != null) {
            out.addAll(held);
            confirmable = heldEnd;
            held = null;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            read(out, maxEvents, deadline);
        } catch (CdcException e) {
            throw e;
        } catch (Exception e) {
            throw failure(e, false);
        }
        if (snapshots.hasReadyRows() && out.size() < maxEvents) {
            out.addAll(snapshots.take(maxEvents - out.size()));
        }
        return wholeTransactions ? WholeTransactions.number(out) : out;
    }

    /** Takes items into {@code out} until it holds {@code max} events, a watermark passed, or time is up. */
    private void read(List<ChangeEvent> out, int max, long deadline) throws Exception {
        while (out.size() < max && held == null) {
            PgOutputReceiver.Item item = out.isEmpty() ? receiver.take(deadline) : receiver.takeNow();
            if (item == null) {
                return;
            }
            if (item instanceof PgOutputReceiver.ChangeItem c) {
                snapshots.observe(c.change());
                ChangeEvent event = c.change().event(snapshots.positionFields());
                (wholeTransactions ? open : out).add(event);
            } else if (item instanceof PgOutputReceiver.MarkItem m) {
                snapshots.watermark(m.watermark());
                return; // its chunk's rows come right after the changes before it
            } else if (item instanceof PgOutputReceiver.EndItem end) {
                if (!wholeTransactions || open.isEmpty()) {
                    confirmable = Math.max(confirmable, end.lsn());
                } else if (end.transactionEnd()) {
                    if (!out.isEmpty() && out.size() + open.size() > max) {
                        held = open;
                        heldEnd = end.lsn();
                    } else {
                        out.addAll(open);
                        confirmable = Math.max(confirmable, end.lsn());
                    }
                    open = new ArrayList<>();
                }
            }
        }
    }

    @Override
    public void committed(Position position) {
        receiver.confirm(confirmable);
    }

    @Override
    public SnapshotProgress snapshotProgress() {
        return snapshots.progress();
    }

    @Override
    public void snapshot(List<TableId> tables) {
        snapshots.request(tables);
    }

    /** The WAL the slot retains and has not had confirmed ({@link SlotGuard#backlog}); any thread. */
    @Override
    public Backlog backlog() throws Exception {
        return SlotGuard.backlog(connections, slot, maxRetainedWal);
    }

    @Override
    public void close() {
        if (receiver != null) {
            receiver.close();
        }
        snapshots.close();
    }
}
