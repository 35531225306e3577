package io.cdckit.faults;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceStatus;
import io.cdckit.testkit.LocalPostgresCluster;
import io.cdckit.testkit.ShutdownMode;
import io.cdckit.testkit.Verification;
import io.cdckit.testkit.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Faults of the server and the handler while a source captures a concurrent workload and 1 MB
 * TOASTed rows with a column added mid-stream: the capture's sessions terminated with
 * {@code pg_terminate_backend} while the workload writes, PostgreSQL restarted with a fast and then
 * an immediate (crash) shutdown while the capture still has a backlog, and a handler that throws
 * intermittently throughout. The source must reconnect (status back to RUNNING, reconnects counted)
 * and lose nothing. Runs on its own cluster, so restarting it disturbs no other test.
 */
class ServerFaultsTest {

    private static final Logger LOG = LoggerFactory.getLogger(ServerFaultsTest.class);
    private static final FaultReport REPORT = new FaultReport("Server restarts, terminated sessions, failing handler");
    private static final boolean LONG = FaultReport.longRun();
    private static final String WRITER = "faults_writer";
    private static LocalPostgresCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = LocalPostgresCluster.start(Map.of("wal_level", "logical", "max_replication_slots", "10",
                "max_wal_senders", "10"));
    }

    @AfterAll
    static void stopCluster() {
        REPORT.print();
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Callable<Connection> connections(String database, String applicationName) {
        String url = cluster.jdbcUrl(database) + (cluster.jdbcUrl(database).contains("?") ? "&" : "?")
                + "ApplicationName=" + applicationName;
        return () -> DriverManager.getConnection(url, cluster.adminUser(), cluster.adminPassword());
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void reconnectsAfterTerminatedSessionsAndRestartsWithNothingLost(Strategy strategy) throws Exception {
        long seed = Long.getLong("cdckit.faults.seed", System.nanoTime());
        String database = "faults_server_" + strategy.name().toLowerCase();
        try (Connection admin = connections("postgres", "faults_admin").call(); Statement st = admin.createStatement()) {
            st.execute("CREATE DATABASE " + database);
        }
        Callable<Connection> writers = connections(database, WRITER);
        FaultTables tables = new FaultTables(writers, "s");
        tables.create();

        Map<String, Object> props = new LinkedHashMap<>();
        props.put("cdc.jdbc.url", cluster.jdbcUrl(database));
        props.put("cdc.jdbc.user", cluster.adminUser());
        props.put("cdc.jdbc.password", cluster.adminPassword());
        props.putAll(strategy.properties);
        props.put("cdc.name", strategy.sourceName("server"));
        props.put("cdc.snapshot.mode", "never");
        props.put("cdc.poll.interval", "50ms");
        props.put("cdc.batch.max-size", "20");
        props.put("cdc.errors.max-retries", "20");
        props.put("cdc.errors.retry.initial-delay", "5ms");
        props.put("cdc.errors.retry.max-delay", "20ms");
        props.put("cdc.reconnect.initial-delay", "100ms");
        props.put("cdc.reconnect.max-delay", "1s");
        props.put("cdc.reconnect.max-attempts", "60");
        CdcConfig config = CdcConfig.builder().putAll(props).tables(tables.workload, tables.blobs).build();

        List<Received> received = new ArrayList<>();
        AtomicLong batches = new AtomicLong();
        AtomicLong thrown = new AtomicLong();
        Random flaky = new Random(seed);
        ChangeSource[] holder = new ChangeSource[1];
        ChangeHandler handler = events -> {
            // the first batch always fails once, so a run with few batches still exercises the retry
            if (thrown.get() == 0 || flaky.nextInt(6) == 0) {
                thrown.incrementAndGet();
                throw new IllegalStateException("intermittent handler failure");
            }
            int epoch = (int) holder[0].metrics().reconnects();
            long batch = batches.incrementAndGet();
            synchronized (received) {
                for (ChangeEvent e : events) {
                    received.add(new Received(epoch, batch, e));
                }
            }
            Thread.sleep(15); // a slow consumer, so the capture has a backlog when the server goes down
        };
        Callable<List<Received>> snapshot = () -> {
            synchronized (received) {
                return new ArrayList<>(received);
            }
        };

        try (ChangeSource source = ChangeSources.builder(config).offsetStore(OffsetStores.memory()).build()) {
            holder[0] = source;
            source.start(handler);
            int rounds = LONG ? 5 : 1;
            int phase = 0;
            for (int round = 0; round < rounds; round++) {
                // 1. the capture's sessions are killed while the workload writes
                tables.blobRound(phase++);
                try (Workload.Running w = workload(writers, tables, seed + phase).start()) {
                    Thread.sleep(700);
                    int killed = terminateCapture(database);
                    LOG.info("{}: terminated {} capture sessions mid-stream", strategy, killed);
                    w.await();
                }
                // 2. fast shutdown while the capture has a backlog
                tables.blobRound(phase++);
                workload(writers, tables, seed + phase).run();
                logBacklog(strategy, snapshot.call().size(), tables, "fast restart");
                long before = source.metrics().reconnects();
                cluster.restart(ShutdownMode.FAST);
                awaitReconnected(source, before);
                // 3. immediate shutdown (a crash, recovery at start) with a backlog
                tables.blobRound(phase++);
                workload(writers, tables, seed + phase).run();
                logBacklog(strategy, snapshot.call().size(), tables, "immediate restart");
                before = source.metrics().reconnects();
                cluster.restart(ShutdownMode.IMMEDIATE);
                awaitReconnected(source, before);
            }
            tables.blobRound(phase);
            workload(writers, tables, seed + phase + 1).run();

            List<Received> all = Convergence.await(snapshot, tables, strategy, Duration.ofSeconds(90),
                    () -> assertThat(source.status().state()).isNotEqualTo(SourceStatus.State.FAILED));
            DeliveryAnalysis.Result r = DeliveryAnalysis.analyse(all, tables.history(), strategy.seesEveryChange);
            long reconnects = source.metrics().reconnects();
            REPORT.add(strategy, "term+fast+immed+throw", r, reconnects, 0);
            List<Verification> v = Replay.verify(writers, List.of(tables.workload, tables.blobs), all);

            String context = "seed " + seed + ", samples " + r.samples();
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
            assertThat(reconnects).as("reconnects counted").isGreaterThanOrEqualTo(2);
            assertThat(source.metrics().handlerFailures()).as("handler failures counted").isEqualTo(thrown.get())
                    .isPositive();
            assertThat(r.lost()).as("lost, %s", context).isZero();
            assertThat(r.duplicatesOutsideInFlight()).as("duplicates outside the batch in flight, %s", context)
                    .isZero();
            assertThat(r.outOfOrder()).as("out of order, %s", context).isZero();
            assertThat(r.invented()).as("invented, %s", context).isZero();
            for (Verification each : v) {
                assertThat(each.matches()).as(each.describe()).isTrue();
            }
        }
    }

    private static Workload workload(Callable<Connection> writers, FaultTables tables, long seed) {
        return Workload.on(writers, tables.workload).threads(3).transactionsPerThread(LONG ? 150 : 40)
                .longTransactions(1).longTransactionHold(Duration.ofMillis(800)).seed(seed);
    }

    /** Terminates every session of the database but the writers' and this one: the capture's. */
    private static int terminateCapture(String database) throws Exception {
        try (Connection c = connections("postgres", "faults_admin").call(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                     + " WHERE datname = '" + database + "' AND pid <> pg_backend_pid()"
                     + " AND application_name NOT IN ('" + WRITER + "', 'faults_admin')")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void awaitReconnected(ChangeSource source, long before) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            assertThat(source.status().state()).isNotEqualTo(SourceStatus.State.FAILED);
            assertThat(source.metrics().reconnects()).isGreaterThan(before);
            assertThat(source.status().state()).isIn(SourceStatus.State.RUNNING, SourceStatus.State.RETRYING);
        });
    }

    private static void logBacklog(Strategy strategy, int received, FaultTables tables, String what) {
        LOG.info("{}: {} events received, {} changes committed before the {}", strategy, received,
                tables.history().size(), what);
    }
}
