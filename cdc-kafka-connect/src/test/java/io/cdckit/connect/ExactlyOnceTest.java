package io.cdckit.connect;

import io.cdckit.api.TableId;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.connect.testkit.EnvelopeReader;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Workload;
import io.cdckit.testkit.WorkloadResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With exactly-once source support on the workers and {@code exactly.once.support=required} on
 * the connector, each batch and its offsets are one Kafka transaction: a worker stopped
 * mid-stream, and the rebalance that moves the task, leave a {@code read_committed} consumer with
 * every change exactly once (every change-log entry id once, as many changes as the workload
 * committed) and a replica equal to the source.
 */
@PostgresTest
class ExactlyOnceTest {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void aRebalanceMidStreamLeavesNoDuplicate(TestDatabase db) {
        TableId table = new TableId("public", "eos_orders");
        Workload.createTable(db::connect, table);
        String prefix = "eos";
        String name = "cdckit-eos";
        try (ConnectTestCluster cluster = ConnectTestCluster.start(2, true);
             EnvelopeReader reader = new EnvelopeReader(cluster, ConnectorConfigs.topic(prefix, table))) {
            Map<String, String> config = new java.util.HashMap<>(ConnectorConfigs.cdckit(db, "trigger", prefix, table));
            config.put("exactly.once.support", "required");
            config.put("transaction.boundary", "poll");
            // a running task has its triggers installed (the reader opens in start()): every change is a change
            // event, none a snapshot read, so each change-log entry id counts once
            config.put("cdc.snapshot.mode", "never");
            cluster.configure(name, config);
            cluster.awaitRunning(name, 1);

            // one change that proves the task streams, so every change of the workload is a change event
            db.execute("INSERT INTO " + table.quoted() + " (id, account, amount) VALUES (-1, 0, 0)");
            await().atMost(WAIT).until(() -> !reader.poll(Duration.ofMillis(200)).isEmpty() || !reader.read().isEmpty());

            WorkloadResult result;
            try (Workload.Running w = Workload.on(db::connect, table).threads(3).transactionsPerThread(300)
                    .pauseBetweenTransactions(Duration.ofMillis(3)).seed(7).start()) {
                await().atMost(WAIT).until(() -> reader.poll(Duration.ofMillis(200)).size() > 0
                        && reader.read().size() > 100);
                String stopped = cluster.stopWorkerOf(name, 0);
                cluster.awaitRunning(name, 1);
                assertThat(cluster.taskWorkers(name).values()).doesNotContain(stopped);
                result = w.await();
            }
            long expected = 1 + result.changes();
            await().atMost(WAIT).until(() -> {
                reader.poll(Duration.ofMillis(300));
                return reader.read().size() >= expected;
            });
            reader.poll(Duration.ofSeconds(2));
            List<EnvelopeReader.Read> read = reader.read();
            assertThat(read).noneMatch(r -> r.event().source().isSnapshot());
            List<String> entries = read.stream().map(r -> r.event().source().sequence()).toList();
            Set<String> distinct = entries.stream().collect(Collectors.toSet());
            assertThat(entries).as("change-log entry ids read").doesNotContainNull().hasSize(distinct.size());
            assertThat((long) read.size()).as("changes read, %s committed", result).isEqualTo(expected);

            try (ReplicaVerifier replica = ReplicaVerifier.create(db::connect, table, "replica")) {
                replica.apply(read.stream().map(EnvelopeReader.Read::event).toList());
                assertThat(replica.verify().matches()).as(replica.verify().describe()).isTrue();
            }
        }
    }

    /**
     * {@code transaction.boundary=connector} with {@code cdc.batch.transactions=whole}: each
     * PostgreSQL transaction is one Kafka transaction. A Kafka transaction ends with a commit marker,
     * which takes an offset of the partition: consecutive records of one PostgreSQL transaction sit
     * at consecutive offsets, and a marker (a skipped offset) separates every two transactions.
     */
    @ParameterizedTest
    @ValueSource(strings = {"trigger", "log"})
    void connectorBoundariesMakeEachPostgresTransactionOneKafkaTransaction(String mode, TestDatabase db) {
        TableId table = new TableId("public", "eos_boundaries_" + mode);
        Workload.createTable(db::connect, table);
        String prefix = "eosb" + mode;
        String name = "cdckit-eos-boundaries-" + mode;
        try (ConnectTestCluster cluster = ConnectTestCluster.start(1, true);
             EnvelopeReader reader = new EnvelopeReader(cluster, ConnectorConfigs.topic(prefix, table))) {
            Map<String, String> config = new java.util.HashMap<>(ConnectorConfigs.cdckit(db, mode, prefix, table));
            config.put("exactly.once.support", "required");
            config.put("transaction.boundary", "connector");
            config.put("cdc.batch.transactions", "whole");
            config.put("cdc.batch.max-size", "4");
            config.put("cdc.snapshot.mode", "never");
            cluster.configure(name, config);
            cluster.awaitRunning(name, 1);
            db.execute("INSERT INTO " + table.quoted() + " (id, account, amount) VALUES (-1, 0, 0)");
            await().atMost(WAIT).until(() -> !reader.poll(Duration.ofMillis(200)).isEmpty() || !reader.read().isEmpty());

            // transactions of 1 to 6 rows, written back to back so that several fall into one poll
            int rows = 0;
            for (int size = 1; size <= 6; size++) {
                StringBuilder values = new StringBuilder();
                for (int i = 0; i < size; i++) {
                    values.append(i == 0 ? "" : ", ").append("(").append(size * 100 + i).append(", 1, 1)");
                }
                db.execute("INSERT INTO " + table.quoted() + " (id, account, amount) VALUES " + values);
                rows += size;
            }
            long expected = 1 + rows;
            await().atMost(WAIT).until(() -> {
                reader.poll(Duration.ofMillis(300));
                return reader.read().size() >= expected;
            });
            List<EnvelopeReader.Read> read = reader.read();
            assertThat(read).hasSize((int) expected);
            assertThat(read).allSatisfy(r -> assertThat(r.event().transaction()).isNotNull());
            Map<String, Long> sizes = read.stream().collect(Collectors.groupingBy(
                    r -> r.event().transaction().id(), java.util.LinkedHashMap::new, Collectors.counting()));
            assertThat(sizes.values()).containsExactly(1L, 1L, 2L, 3L, 4L, 5L, 6L);
            for (int i = 1; i < read.size(); i++) {
                EnvelopeReader.Read a = read.get(i - 1);
                EnvelopeReader.Read b = read.get(i);
                boolean same = a.event().transaction().id().equals(b.event().transaction().id());
                assertThat(b.offset() - a.offset()).as("offsets %d and %d", a.offset(), b.offset())
                        .isEqualTo(same ? 1 : 2);
                assertThat(a.event().transaction().isLast()).isEqualTo(!same);
            }
        }
    }
}
