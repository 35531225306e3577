package io.cdckit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.testkit.TestDatabase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Timeout;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * Commit → Kafka through Kafka Connect: cdckit's source connector in each {@code cdc.mode} side by
 * side with Debezium's own PostgreSQL connector ({@link ConnectPeer}) on the same in-JVM Connect
 * cluster (one worker over a one-broker KRaft cluster, JSON converter with schemas, no exactly-once
 * support; {@link ConnectTestCluster}), under the same workload.
 *
 * <p>One run of a peer: a fresh database with an empty orders table ({@link Orders}); the peer's
 * connector is created with a topic prefix of its own, and once its task runs, probe rows (negative
 * ids) are inserted, one a second, until one is in the topic: the connector streams. Then
 * {@link #rows} rows are inserted, {@link #rowsPerTransaction} per autocommit statement, while a
 * thread of its own reads the topic's end offset (read_committed, from the broker) every 5 ms until
 * it holds every row. The time runs from the start of the first insert until the end offset first
 * showed the last row: every record acknowledged by the broker and readable by a consumer. The
 * counter {@code <peer>EventsPerSecond} is {@link #rows} divided by it,
 * {@code <peer>FirstRecordMs} the time until the first row was in the topic and
 * {@code <peer>WriterRowsPerSecond} the rate at which the rows were written while the connector
 * ran. Afterwards the topic must hold exactly the probes and the rows (more are counted in
 * {@code <peer>ExtraRecords}) and its last record must be the last row (a warning is printed
 * otherwise); {@code <peer>BytesPerRecord} is the topic's size on the broker divided by its records.
 * Then the connector, its topics, its slot and the database are removed. A run is printed as it
 * finishes, with its progress every few seconds while it waits.
 *
 * <p>The defaults (four connectors, five rounds of 50 000 rows after a warm-up of 10 000) take
 * about four minutes on two shared cores. With the worker's producer as Connect sets it up
 * ({@code acks=all}, one request in flight, 16 KB batches), a partition gets three or four of these
 * records of about 4 KB per request, which bounds every connector alike; {@link #producerOverrides}
 * lifts that bound for all of them.
 *
 * <p>The peers are measured interleaved: each measured iteration is one round in which every peer
 * of {@link #peers} takes one run, each round starting with the next peer, so that a machine whose
 * speed drifts affects each peer alike, and ratios to Debezium's connector are taken within the
 * run. Before the rounds, each peer takes one run of {@link #warmupRows} rows, so that each path is
 * compiled and the cluster's first topics are made.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 5)
@Timeout(time = 30, timeUnit = TimeUnit.MINUTES)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=error", "-Dorg.slf4j.simpleLogger.log.kafka=error",
        "-Dorg.slf4j.simpleLogger.log.state.change.logger=error"})
public class ConnectBenchmark {

    /** The longest a run may go without a new record in its topic before it fails. */
    static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);
    /** The longest a connector may take to stream its first probe. */
    static final Duration STREAMING_TIMEOUT = Duration.ofSeconds(90);
    private static final long WATCH_PARK_NANOS = 5_000_000;
    private static final long PROGRESS_NANOS = 3_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The connectors measured together, in the order of the first round, separated by {@code ,}
     * here and by {@code +} on JMH's command line ({@code -p peers=log+debezium}), where a comma
     * would make each its own trial.
     */
    @Param("log,trigger,timestamp,debezium")
    public String peers;

    @Param("50000")
    public int rows;

    @Param("1000")
    public int rowsPerTransaction;

    /** Rows of each peer's run before the rounds; 0: no warm-up. */
    @Param("10000")
    public int warmupRows;

    /**
     * Producer settings given to every connector alike as {@code producer.override.*}, e.g.
     * {@code batch.size=262144;linger.ms=5} ({@code ;}-separated); empty: the worker's producer
     * as Connect sets it up.
     */
    @Param("")
    public String producerOverrides;

    private final HttpClient http = HttpClient.newHttpClient();
    private List<ConnectPeer> list;
    private ConnectTestCluster cluster;
    private Admin admin;
    private Map<String, String> overrides;
    private int round;
    private int runs;

    /** Events/s, writer rows/s and extra records of each peer in one round, named {@code <peer><Figure>}. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Rates {
        public double logEventsPerSecond;
        public double triggerEventsPerSecond;
        public double timestampEventsPerSecond;
        public double debeziumEventsPerSecond;
        public double logWriterRowsPerSecond;
        public double triggerWriterRowsPerSecond;
        public double timestampWriterRowsPerSecond;
        public double debeziumWriterRowsPerSecond;
        public double logFirstRecordMs;
        public double triggerFirstRecordMs;
        public double timestampFirstRecordMs;
        public double debeziumFirstRecordMs;
        public double logBytesPerRecord;
        public double triggerBytesPerRecord;
        public double timestampBytesPerRecord;
        public double debeziumBytesPerRecord;
        public double logExtraRecords;
        public double triggerExtraRecords;
        public double timestampExtraRecords;
        public double debeziumExtraRecords;

        @Setup(Level.Iteration)
        public void clear() throws IllegalAccessException {
            for (Field f : Rates.class.getFields()) {
                f.setDouble(this, 0);
            }
        }

        void set(ConnectPeer peer, String figure, double value) {
            String name = peer.paramName() + figure;
            try {
                Rates.class.getField(name).setDouble(this, value);
            } catch (NoSuchFieldException | IllegalAccessException e) {
                throw new IllegalStateException("No counter " + name, e);
            }
        }
    }

    /** The figures of one run: seconds to the last row in Kafka, to the first, the writer's rate, extra records. */
    record Result(double seconds, double firstSeconds, double writerRowsPerSecond, long extra, double bytesPerRecord) {
    }

    /** When the first and the last row of a run were in Kafka ({@link System#nanoTime()}). */
    private record Arrival(long first, long last) {
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        list = ConnectPeer.list(peers);
        if (list.isEmpty()) {
            throw new IllegalArgumentException("No connector to measure: set peers");
        }
        if (rows < 1 || rowsPerTransaction < 1) {
            throw new IllegalArgumentException("rows and rowsPerTransaction must be positive");
        }
        overrides = producerOverrides(producerOverrides);
        long started = System.nanoTime();
        cluster = ConnectTestCluster.start(1, false);
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
        System.out.printf(Locale.ROOT, "Connect cluster (1 worker, 1 KRaft broker) up in %.1f s; peers %s, "
                        + "%d rows a run, %d rows per transaction%s%n", (System.nanoTime() - started) / 1e9,
                list.stream().map(ConnectPeer::paramName).toList(), rows, rowsPerTransaction,
                overrides.isEmpty() ? "" : ", " + overrides);
        if (warmupRows > 0) {
            for (ConnectPeer p : list) {
                Result r = run(p, warmupRows, "warm-up");
                System.out.printf(Locale.ROOT, "warm-up %s: %.0f events/s (%d rows in %.2f s, the first in Kafka "
                                + "after %.0f ms)%n", p.paramName(), warmupRows / r.seconds(), warmupRows, r.seconds(),
                        r.firstSeconds() * 1000);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            if (admin != null) {
                admin.close(Duration.ofSeconds(10));
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** {@code key=value;...} as {@code producer.override.key=value}. */
    static Map<String, String> producerOverrides(String list) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String pair : list.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("producerOverrides: expected key=value, got '" + pair + "'");
            }
            m.put("producer.override." + pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return m;
    }

    /** One round: every peer takes one run, starting with the next one each round. */
    @Benchmark
    public void interleaved(Rates out) throws Exception {
        Double debezium = null;
        List<String> summary = new ArrayList<>();
        double[] rates = new double[list.size()];
        for (int i = 0; i < list.size(); i++) {
            int index = (round + i) % list.size();
            ConnectPeer p = list.get(index);
            Result r = run(p, rows, "round " + (round + 1));
            double rate = rows / r.seconds();
            rates[index] = rate;
            out.set(p, "EventsPerSecond", rate);
            out.set(p, "WriterRowsPerSecond", r.writerRowsPerSecond());
            out.set(p, "ExtraRecords", r.extra());
            out.set(p, "FirstRecordMs", r.firstSeconds() * 1000);
            out.set(p, "BytesPerRecord", r.bytesPerRecord());
            System.out.printf(Locale.ROOT, "round %d, %s: %.0f events/s (%d rows in %.2f s, the first in Kafka after "
                            + "%.0f ms; writer %.0f rows/s; %.0f bytes a record)%n", round + 1, p.paramName(), rate, rows,
                    r.seconds(), r.firstSeconds() * 1000, r.writerRowsPerSecond(), r.bytesPerRecord());
            if (p.isDebezium()) {
                debezium = rate;
            }
        }
        if (debezium != null) {
            for (int i = 0; i < list.size(); i++) {
                if (!list.get(i).isDebezium()) {
                    summary.add(String.format(Locale.ROOT, "%s %.2fx", list.get(i).paramName(), rates[i] / debezium));
                }
            }
            System.out.println("round " + (round + 1) + " vs debezium: " + String.join(", ", summary));
        }
        round++;
    }

    /** One run of {@code peer} over {@code n} rows in a fresh database, connector and topic. */
    private Result run(ConnectPeer peer, int n, String label) throws Exception {
        String name = "bench-" + peer.paramName() + "-" + (++runs);
        String topic = name + "." + Orders.TABLE;
        String what = label + ", " + peer.paramName();
        try (Orders orders = Orders.create(peer.strategy())) {
            Map<String, String> config = new java.util.LinkedHashMap<>(peer.config(orders.database(), name));
            config.putAll(overrides);
            cluster.configure(name, config);
            try {
                cluster.awaitRunning(name, 1);
                long baseline = awaitStreaming(orders.database(), name, topic, what);
                long target = baseline + n;
                long start;
                long writeEnd;
                Arrival arrival;
                try (Connection writer = orders.connect()) {
                    start = System.nanoTime();
                    long t0 = start;
                    AtomicBoolean cancelled = new AtomicBoolean();
                    CompletableFuture<Arrival> watch = CompletableFuture.supplyAsync(() -> {
                        try {
                            return awaitCount(name, topic, baseline, n, t0, what, cancelled);
                        } catch (Exception e) {
                            throw new CompletionException(e);
                        }
                    }, command -> {
                        Thread t = new Thread(command, "topic-watch");
                        t.setDaemon(true);
                        t.start();
                    });
                    try {
                        Orders.bulkInsert(writer, 1, n, rowsPerTransaction);
                        writeEnd = System.nanoTime();
                        arrival = watch.join();
                    } catch (CompletionException e) {
                        throw e.getCause() instanceof Exception x ? x : e;
                    } finally {
                        cancelled.set(true);
                    }
                }
                LockSupport.parkNanos(200_000_000L);
                long extra = endOffset(topic) - target;
                long last = lastKeyId(topic);
                double bytes = topicBytes(topic) / (double) (target + extra);
                if (extra != 0 || last != n) {
                    System.out.printf(Locale.ROOT, "WARNING %s: the topic holds %d records more than the %d probes "
                            + "and %d rows, and its last record is row %d%n", what, extra, baseline, n, last);
                }
                return new Result((arrival.last() - start) / 1e9, (arrival.first() - start) / 1e9,
                        n * 1e9 / (writeEnd - start), Math.max(0, extra), bytes);
            } finally {
                remove(name, orders.database());
            }
        }
    }

    /**
     * Inserts a probe row a second until one is in the topic; returns how many records the topic
     * then holds (the probes that arrived), after a moment for any later one.
     */
    private long awaitStreaming(TestDatabase db, String name, String topic, String what) throws Exception {
        long deadline = System.nanoTime() + STREAMING_TIMEOUT.toNanos();
        long probe = 0;
        while (System.nanoTime() < deadline) {
            probe--;
            db.execute("INSERT INTO " + Orders.TABLE + " (id, customer_id, status, amount, note) VALUES (" + probe
                    + ", 0, 'probe', 0, 'probe')");
            long next = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < next) {
                if (topicExists(topic) && endOffset(topic) > 0) {
                    Thread.sleep(500);
                    return endOffset(topic);
                }
                Thread.sleep(20);
            }
            checkHealthy(name, what);
        }
        throw new IllegalStateException(what + ": no probe row reached " + topic + " within "
                + STREAMING_TIMEOUT.toSeconds() + " s: " + status(name));
    }

    /**
     * Watches the topic's end offset until it holds the {@code n} rows after the {@code probes};
     * returns when it first held the first and the last of them. Prints the progress every few
     * seconds.
     */
    private Arrival awaitCount(String name, String topic, long probes, int n, long start, String what,
                               AtomicBoolean cancelled) throws Exception {
        long target = probes + n;
        long count = -1;
        long first = 0;
        long lastChange = System.nanoTime();
        long nextProgress = start + PROGRESS_NANOS;
        while (!cancelled.get()) {
            long now = System.nanoTime();
            long c = endOffset(topic);
            if (first == 0 && c > probes) {
                first = now;
            }
            if (c >= target) {
                return new Arrival(first, now);
            }
            if (c != count) {
                count = c;
                lastChange = now;
            } else if (now - lastChange > STALL_TIMEOUT.toNanos()) {
                throw new IllegalStateException(what + ": " + c + " of " + target + " records in " + topic
                        + ", none new for " + STALL_TIMEOUT.toSeconds() + " s: " + status(name));
            }
            if (now > nextProgress) {
                System.out.printf(Locale.ROOT, "  %s: %d of %d rows in Kafka after %.0f s%n", what,
                        Math.max(0, c - probes), n, (now - start) / 1e9);
                nextProgress = now + PROGRESS_NANOS;
                checkHealthy(name, what);
            }
            LockSupport.parkNanos(WATCH_PARK_NANOS);
        }
        throw new IllegalStateException(what + ": cancelled");
    }

    /** Records readable by a read_committed consumer: the topic's single partition's end offset. */
    private long endOffset(String topic) throws ExecutionException, InterruptedException {
        TopicPartition tp = new TopicPartition(topic, 0);
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .partitionResult(tp).get().offset();
    }

    /** The bytes of the topic's single partition on the broker's disk. */
    private long topicBytes(String topic) throws ExecutionException, InterruptedException {
        TopicPartition tp = new TopicPartition(topic, 0);
        List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(org.apache.kafka.common.Node::id)
                .toList();
        long bytes = 0;
        for (Map<String, org.apache.kafka.clients.admin.LogDirDescription> dirs
                : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
            for (org.apache.kafka.clients.admin.LogDirDescription d : dirs.values()) {
                org.apache.kafka.clients.admin.ReplicaInfo r = d.replicaInfos().get(tp);
                if (r != null) {
                    bytes += r.size();
                }
            }
        }
        return bytes;
    }

    private boolean topicExists(String topic) throws ExecutionException, InterruptedException {
        return admin.listTopics().names().get().contains(topic);
    }

    /** The {@code id} in the key of the topic's last record. */
    private long lastKeyId(String topic) throws IOException {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.readCommittedConsumer()) {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            consumer.seek(tp, Math.max(0, end - 1));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                ConsumerRecord<byte[], byte[]> lastRecord = null;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    lastRecord = r;
                }
                if (lastRecord != null && lastRecord.key() != null) {
                    return JSON.readTree(lastRecord.key()).path("payload").path("id").asLong(Long.MIN_VALUE);
                }
            }
            return Long.MIN_VALUE;
        }
    }

    /** Deletes the connector and its topics, and waits for its sessions to leave the database; warns on failure. */
    private void remove(String name, TestDatabase db) {
        try {
            cluster.delete(name);
            awaitConnectorGone(db, name);
            deleteTopics(name);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            System.out.println("WARNING: removing connector " + name + " failed: " + e);
        }
    }

    /** Waits until the deleted connector's sessions have left the database. */
    private static void awaitConnectorGone(TestDatabase db, String name) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            long sessions = db.queryForLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    + "AND pid <> pg_backend_pid() AND backend_type IN ('client backend', 'walsender')");
            long activeSlots = db.queryForLong("SELECT count(*) FROM pg_replication_slots WHERE active "
                    + "AND database = current_database()");
            if (sessions == 0 && activeSlots == 0) {
                return;
            }
            LockSupport.parkNanos(50_000_000L);
        }
        System.out.println("WARNING: sessions of connector " + name + " are still in its database after 30 s; "
                + "dropping it anyway");
    }

    private void deleteTopics(String prefix) throws ExecutionException, InterruptedException {
        Set<String> mine = admin.listTopics().names().get().stream()
                .filter(t -> t.startsWith(prefix + ".") || t.endsWith("." + prefix) || t.contains("." + prefix + "."))
                .collect(Collectors.toSet());
        if (!mine.isEmpty()) {
            admin.deleteTopics(mine).all().get();
        }
    }

    /** Throws when the connector or its task failed, with the failure's trace. */
    private void checkHealthy(String name, String what) {
        JsonNode s = statusJson(name);
        if (s == null) {
            return;
        }
        List<JsonNode> states = new ArrayList<>();
        states.add(s.path("connector"));
        s.path("tasks").forEach(states::add);
        for (JsonNode st : states) {
            if ("FAILED".equals(st.path("state").asText())) {
                throw new IllegalStateException(what + ": connector " + name + " failed: " + st.path("trace").asText());
            }
        }
    }

    private String status(String name) {
        JsonNode s = statusJson(name);
        return s == null ? "(no status)" : s.toString();
    }

    /** The connector's status from the worker's REST API, or null when it cannot be had. */
    private JsonNode statusJson(String name) {
        try {
            String worker = cluster.taskWorkers(name).values().stream().findFirst().orElse(null);
            if (worker == null) {
                return null;
            }
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + worker + "/connectors/"
                    + name + "/status")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
