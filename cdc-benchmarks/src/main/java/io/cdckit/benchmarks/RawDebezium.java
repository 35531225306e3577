package io.cdckit.benchmarks;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import io.debezium.engine.spi.OffsetCommitPolicy;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Debezium's embedded engine on the orders table without cdckit: the reference the log-based
 * strategy is measured against. It runs with the engine and connector properties cdckit's
 * log-based strategy uses (same publication set-up, REPLICA IDENTITY FULL, poll interval, batch
 * and queue sizes, offset flushing, heartbeat), minus cdckit's own classes: offsets live in
 * Kafka's plain in-memory store and values keep Debezium's own conversion. Its consumer reads the
 * row id and commit time of each change record and marks it processed at once.
 */
final class RawDebezium extends Capture {

    /** cdckit's defaults for the same settings: cdc.log.engine.poll-interval, cdc.batch.max-size, cdc.log.heartbeat.interval. */
    static final int POLL_INTERVAL_MS = 10;
    static final int MAX_BATCH_SIZE = 1000;
    static final int HEARTBEAT_MS = 10_000;

    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable error;

    private RawDebezium(Properties properties, Consumer<SourceRecord> consumer) {
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using(OffsetCommitPolicy.always())
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        started.countDown();
                    }
                })
                .using((success, message, failure) -> {
                    if (!success || failure != null) {
                        error = failure != null ? failure : new IllegalStateException(message);
                    }
                    started.countDown();
                    stopped.countDown();
                })
                .notifying((List<RecordChangeEvent<SourceRecord>> records,
                            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) -> {
                    for (RecordChangeEvent<SourceRecord> r : records) {
                        consumer.accept(r.record());
                        committer.markProcessed(r);
                    }
                    committer.markBatchFinished();
                })
                .build();
        thread = new Thread(engine, "raw-debezium");
        thread.setDaemon(true);
    }

    static RawDebezium start(Orders orders, EventSink sink) {
        String name = "raw_" + orders.database().name();
        try (Connection c = orders.database().connect(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE public.orders REPLICA IDENTITY FULL");
            try (var rs = st.executeQuery("SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = '" + name + "_pub'")) {
                if (!rs.next()) {
                    // a restarted capture (LogEngineBenchmark) finds it there
                    st.execute("CREATE PUBLICATION " + name + "_pub FOR TABLE public.orders");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot prepare the publication for raw Debezium", e);
        }
        return start(properties(orders, name), r -> accept(r, sink));
    }

    /**
     * An engine with this class's properties for connector {@code name}, changed by
     * {@code overrides} (a snapshot mode, a signal table, an existing publication), handing every
     * record to {@code consumer} on the engine's thread. Returns once the task started.
     */
    static RawDebezium start(Orders orders, String name, Map<String, String> overrides,
                             Consumer<SourceRecord> consumer) {
        Properties p = properties(orders, name);
        p.putAll(overrides);
        return start(p, consumer);
    }

    private static RawDebezium start(Properties properties, Consumer<SourceRecord> consumer) {
        RawDebezium raw = new RawDebezium(properties, consumer);
        raw.thread.start();
        try {
            if (!raw.started.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Debezium did not start within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        raw.checkHealthy();
        return raw;
    }

    private static void accept(SourceRecord record, EventSink sink) {
        if (!(record.value() instanceof Struct value) || value.schema().field("after") == null) {
            return; // heartbeat messages
        }
        String op = value.getString("op");
        if (!"c".equals(op) && !"u".equals(op) && !"d".equals(op)) {
            return;
        }
        Struct row = value.getStruct("d".equals(op) ? "before" : "after");
        Long ts = value.getStruct("source").getInt64("ts_ms");
        sink.accept(row.getInt64("id"), ts == null ? -1 : ts);
    }

    private static Properties properties(Orders orders, String name) {
        Properties url = org.postgresql.Driver.parseURL(orders.database().jdbcUrl(), null);
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", MemoryOffsetBackingStore.class.getName());
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("offset.flush.timeout.ms", "10000");
        p.setProperty("database.hostname", url.getProperty("PGHOST", "localhost").split(",")[0]);
        p.setProperty("database.port", url.getProperty("PGPORT", "5432").split(",")[0]);
        p.setProperty("database.dbname", url.getProperty("PGDBNAME"));
        p.setProperty("database.user", orders.database().user());
        if (orders.database().password() != null) {
            p.setProperty("database.password", orders.database().password());
        }
        p.setProperty("topic.prefix", name);
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", name + "_slot");
        p.setProperty("publication.name", name + "_pub");
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("lsn.flush.mode", "connector");
        p.setProperty("table.include.list", "public\\.orders");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("decimal.handling.mode", "precise");
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("time.precision.mode", "adaptive_time_microseconds");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("hstore.handling.mode", "map");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("skipped.operations", "none");
        p.setProperty("provide.transaction.metadata", "false");
        p.setProperty("max.batch.size", String.valueOf(MAX_BATCH_SIZE));
        p.setProperty("max.queue.size", String.valueOf(Math.max(8192, 4 * MAX_BATCH_SIZE)));
        p.setProperty("poll.interval.ms", String.valueOf(POLL_INTERVAL_MS));
        p.setProperty("heartbeat.interval.ms", String.valueOf(HEARTBEAT_MS));
        p.setProperty("heartbeat.action.query", "SELECT pg_logical_emit_message(false, 'raw-heartbeat', '')");
        p.setProperty("message.prefix.include.list", "raw-heartbeat");
        p.setProperty("errors.max.retries", "0");
        return p;
    }

    @Override
    void checkHealthy() {
        if (error != null) {
            throw new IllegalStateException("Raw Debezium failed: " + error, error);
        }
    }

    @Override
    public void close() {
        try {
            engine.close();
            if (!stopped.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Raw Debezium did not stop within 30 s");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "raw Debezium engine" + (error == null ? "" : ", failed: " + error);
    }
}
