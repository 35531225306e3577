package io.cdckit.connect;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.CdckitVersion;
import io.cdckit.api.Position;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeSourceProvider;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.TransactionContext;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A connector task: drives the strategy's {@link io.cdckit.api.spi.ChangeReader}s the way an
 * embedded source's delivery loop does, with Connect in the handler's place. Each
 * {@link #poll} returns one reader batch as records; the reader is polled again only after
 * Kafka acknowledged every record of it ({@link #commitRecord}), and is then told the batch's
 * position is committed, so it releases only what Kafka holds (a replication slot advances,
 * change-log entries are deleted). Connect stores the records' offsets; a task started anywhere
 * opens its readers after them.
 *
 * <p>With exactly-once source support ({@code exactly.once.source.support=enabled} on the
 * workers, {@code transaction.boundary=poll}, the default), each batch and its offsets are one
 * Kafka transaction, committed before the next poll.
 */
public final class CdcSourceTask extends SourceTask {

    private static final Logger LOG = LoggerFactory.getLogger(CdcSourceTask.class);
    /** Heartbeat records carry a position no event carries (where a fresh reader started). */
    private static final Schema HEARTBEAT_KEY = SchemaBuilder.struct().name("io.cdckit.connect.HeartbeatKey")
            .field("source", Schema.STRING_SCHEMA).build();
    private static final Schema HEARTBEAT_VALUE = SchemaBuilder.struct().name("io.cdckit.connect.Heartbeat")
            .field("ts_ms", Schema.INT64_SCHEMA).build();

    private ConnectorSettings settings;
    private SourceConnections connections;
    private ConnectOffsetStore store;
    private EventRecords records;
    private List<CapturedStream> streams = List.of();
    private int next;
    private int maxBatch;
    private Duration pollTimeout;
    private volatile InFlight inFlight;
    private io.cdckit.api.ColumnSelection selection;

    /** A batch handed to Connect and not yet acknowledged in full. */
    private record InFlight(CapturedStream stream, Position position, boolean polled, CountDownLatch unacked) {
    }

    /** Used by Connect. */
    public CdcSourceTask() {
    }

    @Override
    public String version() {
        return CdckitVersion.get();
    }

    @Override
    public void start(Map<String, String> props) {
        settings = ConnectorSettings.forStart(props);
        CdcConfig cdc = settings.cdc();
        ChangeSourceProvider provider = ConnectorSettings.provider(cdc.mode());
        connections = SourceConnections.create(cdc);
        selection = io.cdckit.api.ColumnSelection.of(cdc);
        try {
            io.cdckit.api.ColumnSelection.checkAtStart(cdc, connections);
        } catch (java.sql.SQLException e) {
            connections.close();
            throw new RetriableException("cannot read the catalog to check cdc.columns.* and cdc.filter.*: "
                    + e.getMessage(), e);
        } catch (CdcException e) {
            connections.close();
            throw new ConnectException(e.getMessage(), e);
        }
        store = new ConnectOffsetStore(context.offsetStorageReader());
        records = new EventRecords(new EventSchemas(settings.topicPrefix(), connections), settings.tombstones());
        maxBatch = cdc.get(CdcConfig.BATCH_MAX_SIZE);
        List<CapturedStream> list = new ArrayList<>();
        for (CdcConfig streamConfig : TaskLayout.streams(cdc)) {
            list.add(new CapturedStream(streamConfig, provider, connections, store));
        }
        streams = List.copyOf(list);
        pollTimeout = cdc.get(CdcConfig.POLL_INTERVAL).dividedBy(streams.size());
        // open now, so that a running task is a capturing one; a failure is retried by poll()
        streams.forEach(CapturedStream::ensureOpen);
        LOG.info("cdckit task of source '{}' (cdc.mode={}) captures {} as {} stream(s)", cdc.name(), cdc.mode(),
                cdc.tables(), streams.size());
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        InFlight f = inFlight;
        if (f != null) {
            if (!f.unacked().await(pollTimeout.toMillis() + 1, TimeUnit.MILLISECONDS)) {
                return null;
            }
            inFlight = null;
            try {
                f.stream().acknowledged(f.position(), f.polled());
            } catch (Exception e) {
                f.stream().failed(e);
                throw new RetriableException("stream '" + f.stream().name() + "' could not release what Kafka "
                        + "acknowledged; reopening", e);
            }
        }
        ConnectOffsetStore.Pending pending = store.nextPending();
        if (pending != null) {
            return heartbeat(pending);
        }
        for (int i = 0; i < streams.size(); i++) {
            CapturedStream s = streams.get(next);
            next = (next + 1) % streams.size();
            if (!s.ensureOpen()) {
                continue;
            }
            pending = store.nextPending();
            if (pending != null) {
                return heartbeat(pending);
            }
            List<ChangeEvent> events;
            try {
                events = s.poll(maxBatch, pollTimeout);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                s.failed(e);
                throw new RetriableException("stream '" + s.name() + "' failed to read; reopening", e);
            }
            if (events.isEmpty()) {
                continue;
            }
            return send(s, events);
        }
        if (streams.stream().noneMatch(CapturedStream::isOpen)) {
            Thread.sleep(pollTimeout.toMillis());
        }
        return null;
    }

    private List<SourceRecord> send(CapturedStream s, List<ChangeEvent> events) {
        List<SourceRecord> out = new ArrayList<>(events.size() + 8);
        TransactionContext transactions = context.transactionContext();
        try {
            for (ChangeEvent e : selection.apply(events)) {
                records.add(e, s.partition(), out);
                // transaction.boundary=connector: a Kafka transaction per PostgreSQL transaction
                if (transactions != null && e.transaction() != null && e.transaction().isLast()) {
                    transactions.commitTransaction(out.get(out.size() - 1));
                }
            }
            // a poll ends where a transaction ended (cdc.batch.transactions=whole): events outside any
            // (snapshot reads) are committed with the poll
            if (transactions != null && !out.isEmpty()) {
                ChangeEvent last = events.get(events.size() - 1);
                if (last.transaction() == null || !last.transaction().isLast()) {
                    transactions.commitTransaction(out.get(out.size() - 1));
                }
            }
        } catch (java.sql.SQLException e) {
            s.failed(e);
            throw new RetriableException("stream '" + s.name() + "' could not read a table's columns; reopening", e);
        }
        inFlight = new InFlight(s, events.get(events.size() - 1).position(), true, new CountDownLatch(out.size()));
        return out;
    }

    private List<SourceRecord> heartbeat(ConnectOffsetStore.Pending p) {
        CapturedStream s = streams.stream().filter(c -> c.name().equals(p.sourceName())).findFirst().orElseThrow();
        SourceRecord r = new SourceRecord(s.partition(), p.position().fields(),
                "__cdckit-heartbeat." + settings.topicPrefix(), null, HEARTBEAT_KEY,
                new Struct(HEARTBEAT_KEY).put("source", p.sourceName()), HEARTBEAT_VALUE,
                new Struct(HEARTBEAT_VALUE).put("ts_ms", System.currentTimeMillis()));
        inFlight = new InFlight(s, p.position(), false, new CountDownLatch(1));
        TransactionContext transactions = context.transactionContext();
        if (transactions != null) {
            transactions.commitTransaction(r);
        }
        return List.of(r);
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
        InFlight f = inFlight;
        if (f != null) {
            f.unacked().countDown();
        }
    }

    @Override
    public void stop() {
        for (CapturedStream s : streams) {
            s.close();
        }
        if (connections != null) {
            connections.close();
        }
    }
}
