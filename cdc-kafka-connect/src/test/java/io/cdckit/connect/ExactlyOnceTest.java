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
}
