package io.cdckit.examples.demo;

import io.cdckit.api.TableId;
import io.cdckit.api.TopicNames;
import io.cdckit.connect.CdcSourceConnector;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.connect.testkit.DebeziumJdbcSink;
import io.cdckit.examples.EcommerceSchema;
import io.cdckit.testkit.PostgresFixture;
import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.TestDatabase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The demo scaled out ({@code --kafka}): cdckit's Kafka Connect source connector and Debezium's
 * JDBC sink connector on a distributed Connect cluster of two workers over one KRaft broker, all
 * in this JVM, replicating the shop schema of a throwaway PostgreSQL database into a second
 * database on the same server. The tables hold rows before capture starts (snapshotted), several
 * writers change them concurrently with one long transaction open, the worker running the source
 * task is stopped midway so the task moves to the other worker, and at the end each replica table
 * is compared with its source table row by row and column by column.
 */
final class KafkaPipeline {

    static final String PREFIX = "shop";
    static final String SOURCE = "cdckit-shop";
    static final String SINK = "replica-sink";
    private static final int PRODUCTS = 5;
    private static final int WRITERS = 4;
    private static final Duration CATCH_UP = Duration.ofSeconds(90);

    private final PrintStream console;
    private final String mode;
    private final int customers;
    private final int orders;
    private final Duration pause;
    private final long started = System.nanoTime();

    KafkaPipeline(PrintStream console, String mode, int customers, int orders, Duration pause) {
        this.console = console;
        this.mode = mode;
        this.customers = customers;
        this.orders = orders;
        this.pause = pause;
    }

    /** Runs the pipeline; 0 when the replica equals the source at the end, 1 when not. */
    int run() throws Exception {
        // Hibernate (in the JDBC sink) logs through slf4j like the rest, not through the log4j2 configs of Kafka's test jars
        System.setProperty("org.jboss.logging.provider", "slf4j");
        step("scaled out: PostgreSQL → cdckit's source connector (cdc.mode=" + mode + ") → Kafka → Debezium's JDBC"
                + " sink connector → replica database, on Kafka Connect with two workers");
        step("starting a throwaway PostgreSQL (removed when the demo ends)");
        PostgresServer server = PostgresFixture.server();
        TestDatabase source = server.createDatabase("shop");
        TestDatabase replica = server.createDatabase("shop_replica");
        try {
            step("PostgreSQL " + server.serverVersionNum() / 10000 + " is up: source database " + source.name()
                    + ", replica database " + replica.name() + " (empty: the sink creates the tables)");
            seed(source);
            return replicate(source, replica);
        } finally {
            dropQuietly(source);
            dropQuietly(replica);
        }
    }

    private void seed(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            for (String ddl : EcommerceSchema.ddl()) {
                try (PreparedStatement ps = c.prepareStatement(ddl)) {
                    ps.execute();
                }
            }
            for (int i = 1; i <= customers; i++) {
                exec(c, "INSERT INTO public.customers (id, name, email, segment) VALUES (?, ?, ?, ?)", (long) i,
                        "Customer " + i, "customer" + i + "@example.com", i % 3 == 0 ? "gold" : "standard");
            }
            for (int i = 1; i <= PRODUCTS; i++) {
                exec(c, "INSERT INTO public.products (id, name, price, stock) VALUES (?, ?, ?, ?)", (long) i,
                        "Product " + i, new BigDecimal(10 * i + ".99"), 10_000);
            }
        }
        step("created customers, products and orders in " + db.name() + ", with " + customers + " customers and "
                + PRODUCTS + " products already there (the source connector snapshots them first)");
    }

    private int replicate(TestDatabase source, TestDatabase replica) throws Exception {
        step("starting Kafka (one KRaft broker) and Kafka Connect (two workers) in this JVM");
        long t = System.nanoTime();
        try (ConnectTestCluster cluster = startQuietly();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                     cluster.bootstrapServers()))) {
            step(String.format("Kafka at %s, Connect workers up (%.1f s)", cluster.bootstrapServers(), secondsSince(t)));
            int sourceTasks = "timestamp".equals(mode) ? 2 : 1;
            cluster.configure(SOURCE, sourceConfig(source));
            cluster.configure(SINK, sinkConfig(replica));
            awaitRunning(cluster, SOURCE, sourceTasks);
            awaitRunning(cluster, SINK, 2);
            step("connector " + SOURCE + " (" + CdcSourceConnector.class.getSimpleName() + ", cdc.mode=" + mode
                    + ") writes " + String.join(", ", topics()));
            step("connector " + SINK + " (Debezium's JdbcSinkConnector: upserts, deletes, tables created) reads "
                    + PREFIX + ".* into " + replica.name());
            step("tasks: " + placement(cluster, SOURCE) + "; " + placement(cluster, SINK));

            ShopTraffic traffic = new ShopTraffic(source::connect, WRITERS, customers, PRODUCTS, orders, pause);
            step("live workload: " + WRITERS + " writers at once place " + orders + " orders (each with its product's"
                    + " stock), move them along, cancel, delete, correct amounts and rename customers; one long"
                    + " transaction stays open across the failover");
            if ("timestamp".equals(mode)) {
                step("(timestamp polling reads no change newer than the oldest open transaction: while the long"
                        + " transaction is open, the orders wait)");
            }
            ShopTraffic.Running running = traffic.start();
            ShopTraffic.Summary done;
            try {
                long lastProgress = System.nanoTime();
                boolean failedOver = false;
                while (!running.isDone()) {
                    Thread.sleep(200);
                    if (!failedOver && running.ordersPlaced() >= orders / 3) {
                        progress(source, replica, admin, running);
                        failOver(cluster, sourceTasks);
                        failedOver = true;
                        running.commitLongTransaction();
                        step("committed the long transaction, opened before the failover");
                        lastProgress = System.nanoTime();
                    }
                    if (secondsSince(lastProgress) >= 1) {
                        progress(source, replica, admin, running);
                        lastProgress = System.nanoTime();
                    }
                }
                done = running.await();
                if (!failedOver) {
                    failOver(cluster, sourceTasks);
                }
            } finally {
                running.abort();
            }
            step("workload done: " + done.transactions() + " transactions, " + done.inserts() + " inserts, "
                    + done.updates() + " updates, " + done.deletes() + " deletes; waiting for the replica to catch up");
            List<ReplicaComparison.Result> results = catchUp(cluster, source, replica, admin);
            console.println();
            console.println(topicSummary(admin));
            console.println(summary(source, replica, results));
            boolean equal = results.stream().allMatch(ReplicaComparison.Result::equal);
            step(String.format("done in %.1f s", secondsSince(started)));
            return equal ? 0 : 1;
        }
    }

    /** Starts the cluster without the KRaft formatter's lines on standard output. */
    private static ConnectTestCluster startQuietly() {
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            return ConnectTestCluster.start(2, false);
        } finally {
            System.setOut(out);
        }
    }

    private Map<String, String> sourceConfig(TestDatabase db) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", CdcSourceConnector.class.getName());
        c.put("tasks.max", "2");
        c.put("topic.prefix", PREFIX);
        c.put("cdc.mode", mode);
        c.putAll(db.cdcProperties());
        c.put("cdc.tables", EcommerceSchema.tables().stream().map(TableId::toString).collect(Collectors.joining(",")));
        c.put("cdc.snapshot.mode", "initial");
        c.put("cdc.poll.interval", "50ms");
        c.put("cdc.reconnect.initial-delay", "200ms");
        if ("log".equals(mode)) {
            c.put("cdc.log.slot", "cdckit_shop_slot");
            c.put("cdc.log.publication", "cdckit_shop_pub");
        }
        c.putAll(StrategyDefaults.forMode(mode));
        return c;
    }

    private static Map<String, String> sinkConfig(TestDatabase db) {
        Map<String, String> c = new LinkedHashMap<>(DebeziumJdbcSink.config(PREFIX, db.jdbcUrl(), db.user(),
                db.password()));
        c.put("tasks.max", "2");
        return c;
    }

    private static List<String> topics() {
        return EcommerceSchema.tables().stream().map(t -> TopicNames.topic(PREFIX, t)).toList();
    }

    /** Stops the worker that runs source task 0 and waits until its tasks run on the other worker. */
    private void failOver(ConnectTestCluster cluster, int sourceTasks) {
        String worker = cluster.taskWorkers(SOURCE).get(0);
        step("stopping worker " + worker + ", which runs " + SOURCE + " task 0, while the workload goes on");
        long t = System.nanoTime();
        cluster.stopWorkerOf(SOURCE, 0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (cluster.taskWorkers(SOURCE).containsValue(worker) || cluster.taskWorkers(SINK).containsValue(worker)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("tasks did not leave the stopped worker " + worker + ": "
                        + cluster.describe(SOURCE) + " " + cluster.describe(SINK));
            }
            sleep(100);
        }
        awaitRunning(cluster, SOURCE, sourceTasks);
        awaitRunning(cluster, SINK, 2);
        step(String.format("worker %s stopped; %s task 0 moved to %s and runs again (%.1f s after the stop)", worker,
                SOURCE, cluster.taskWorkers(SOURCE).get(0), secondsSince(t)));
        step("tasks: " + placement(cluster, SOURCE) + "; " + placement(cluster, SINK));
    }

    private static void awaitRunning(ConnectTestCluster cluster, String name, int tasks) {
        try {
            cluster.awaitRunning(name, tasks);
        } catch (RuntimeException e) {
            throw new IllegalStateException(name + " is not running with " + tasks + " tasks: " + cluster.describe(name),
                    e);
        }
    }

    private static String placement(ConnectTestCluster cluster, String name) {
        return new TreeMap<>(cluster.taskWorkers(name)).entrySet().stream()
                .map(e -> name + " task " + e.getKey() + " on " + e.getValue()).collect(Collectors.joining(", "));
    }

    /** Waits until the sink has consumed every record and the replica equals the source (bounded). */
    private List<ReplicaComparison.Result> catchUp(ConnectTestCluster cluster, TestDatabase source,
                                                   TestDatabase replica, Admin admin) throws Exception {
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        List<ReplicaComparison.Result> results = compare(source, replica);
        while (System.nanoTime() < deadline) {
            List<String> failed = failures(cluster);
            if (!failed.isEmpty()) {
                failed.forEach(f -> step("  " + f));
                return compare(source, replica);
            }
            long lag = sinkLag(admin);
            results = compare(source, replica);
            boolean equal = results.stream().allMatch(ReplicaComparison.Result::equal);
            step(String.format("  %5.1f s: %s; sink lag %s records; tables equal: %d of %d", secondsSince(started),
                    rowCounts(results), lag < 0 ? "?" : lag, results.stream().filter(ReplicaComparison.Result::equal)
                            .count(), results.size()));
            if (equal && lag == 0) {
                return results;
            }
            sleep(1000);
        }
        step("the replica did not catch up within " + CATCH_UP.toSeconds() + " s");
        return results;
    }

    /** The connectors' failed parts with their traces, from Connect's REST API. */
    private static List<String> failures(ConnectTestCluster cluster) {
        Set<String> workers = new TreeSet<>(cluster.taskWorkers(SOURCE).values());
        workers.addAll(cluster.taskWorkers(SINK).values());
        List<String> failed = new ArrayList<>(ConnectStatus.failures(workers, SOURCE));
        failed.addAll(ConnectStatus.failures(workers, SINK));
        return failed;
    }

    private void progress(TestDatabase source, TestDatabase replica, Admin admin, ShopTraffic.Running running)
            throws Exception {
        List<ReplicaComparison.Result> counts = new ArrayList<>();
        try (Connection s = source.connect(); Connection r = replica.connect()) {
            for (TableId t : EcommerceSchema.tables()) {
                counts.add(new ReplicaComparison.Result(t, ReplicaComparison.count(s, t), ReplicaComparison.count(r, t),
                        "", "", List.of(), List.of(), List.of(), null, List.of()));
            }
        }
        long lag = sinkLag(admin);
        step(String.format("  %5.1f s: %d/%d orders placed, %d transactions; %s; sink lag %s records",
                secondsSince(started), running.ordersPlaced(), orders, running.transactions(), rowCounts(counts),
                lag < 0 ? "?" : lag));
    }

    private static String rowCounts(List<ReplicaComparison.Result> results) {
        return "replica/source rows " + results.stream().map(r -> r.table().table() + " "
                + (r.replicaRows() < 0 ? "-" : r.replicaRows()) + "/" + r.sourceRows()).collect(Collectors.joining(", "));
    }

    private static List<ReplicaComparison.Result> compare(TestDatabase source, TestDatabase replica)
            throws SQLException {
        List<ReplicaComparison.Result> results = new ArrayList<>();
        try (Connection s = source.connect(); Connection r = replica.connect()) {
            for (TableId t : EcommerceSchema.tables()) {
                results.add(ReplicaComparison.compare(s, r, t));
            }
        }
        return results;
    }

    /** Records in the topics that the sink has not committed yet; -1 when Kafka does not answer in time. */
    private static long sinkLag(Admin admin) {
        try {
            Map<TopicPartition, Long> ends = endOffsets(admin);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("connect-" + SINK)
                    .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            long lag = 0;
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                lag += e.getValue() - (c == null ? 0 : c.offset());
            }
            return lag;
        } catch (Exception e) {
            return -1;
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin) throws Exception {
        Set<String> existing = admin.listTopics().names().get(5, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
        for (var d : admin.describeTopics(topics().stream().filter(existing::contains).toList()).allTopicNames()
                .get(5, TimeUnit.SECONDS).values()) {
            d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
        }
        Map<TopicPartition, Long> ends = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    private static String topicSummary(Admin admin) {
        try {
            Map<String, Long> perTopic = new TreeMap<>();
            endOffsets(admin).forEach((tp, end) -> perTopic.merge(tp.topic(), end, Long::sum));
            return "Kafka topics (records, tombstones included): " + perTopic.entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
        } catch (Exception e) {
            return "Kafka topics: could not read their offsets: " + e;
        }
    }

    private static String summary(TestDatabase source, TestDatabase replica, List<ReplicaComparison.Result> results) {
        StringBuilder sb = new StringBuilder("Replica (" + replica.name() + ") vs source (" + source.name()
                + "), table by table: row counts and an MD5 over every column of every row in key order\n");
        sb.append(String.format("  %-18s %11s %12s  %-32s  %-32s  %s%n", "table", "source rows", "replica rows",
                "source checksum", "replica checksum", "equal"));
        for (ReplicaComparison.Result r : results) {
            sb.append(String.format("  %-18s %11d %12s  %-32s  %-32s  %s%n", r.table(), r.sourceRows(),
                    r.replicaRows() < 0 ? "-" : String.valueOf(r.replicaRows()), r.sourceChecksum(), r.replicaChecksum(),
                    r.equal() ? "yes" : "NO: " + r.differences()));
        }
        Map<String, List<String>> typeChanges = new TreeMap<>();
        for (ReplicaComparison.Result r : results) {
            r.typeChanges().forEach(c -> typeChanges.computeIfAbsent(c.change(), k -> new ArrayList<>())
                    .add(r.table().table() + "." + c.column()));
        }
        sb.append("  column types the sink created that differ from the source's: ").append(typeChanges.isEmpty()
                ? "none" : typeChanges.entrySet().stream().map(e -> e.getKey() + " (" + String.join(", ", e.getValue())
                + ")").collect(Collectors.joining("; "))).append('\n');
        Set<String> unequal = new TreeSet<>();
        results.stream().filter(r -> !r.equal()).forEach(r -> unequal.add(r.table().toString()));
        sb.append(unequal.isEmpty()
                ? "The replica equals the source: every table, every row, every column.\n"
                : "The replica does NOT equal the source: " + String.join(", ", unequal) + " differ.\n");
        return sb.toString();
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void step(String message) {
        console.println("[demo] " + message);
    }

    private static void exec(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        }
    }

    private static void dropQuietly(TestDatabase db) {
        try {
            db.drop();
        } catch (RuntimeException e) {
            // the throwaway server goes at exit anyway
        }
    }
}
