package io.cdckit.connect;

import io.cdckit.api.TableId;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.connect.testkit.EnvelopeReader;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Verification;
import io.cdckit.testkit.Workload;
import io.cdckit.testkit.WorkloadResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every mode in a distributed Connect cluster of two workers under a concurrent workload on two
 * tables with rows from before the start (snapshotted): the worker running the task is stopped
 * mid-stream, the task moves to the other worker and resumes from Connect's offsets, and what a
 * {@code read_committed} consumer read, applied in order to a replica, equals each source table.
 */
@PostgresTest
class FailoverTest {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @ParameterizedTest
    @ValueSource(strings = {"trigger", "log", "log-pgoutput", "timestamp"})
    void theTaskMovesWhenItsWorkerStopsAndTheTopicsReplayToTheSource(String mode, TestDatabase db) {
        TableId a = new TableId("public", "fo_" + mode.replace('-', '_') + "_a");
        TableId b = new TableId("public", "fo_" + mode.replace('-', '_') + "_b");
        Workload.createTable(db::connect, a);
        Workload.createTable(db::connect, b);
        db.execute("INSERT INTO " + a.quoted() + " (id, account, amount, note) SELECT g, g % 7, g, 'before' "
                + "FROM generate_series(1000001, 1002000) g");
        String prefix = "fo-" + mode;
        String name = "cdckit-" + mode;
        int tasks = mode.equals("timestamp") ? 2 : 1;
        try (ConnectTestCluster cluster = ConnectTestCluster.start(2, false);
             EnvelopeReader readA = new EnvelopeReader(cluster, ConnectorConfigs.topic(prefix, a));
             EnvelopeReader readB = new EnvelopeReader(cluster, ConnectorConfigs.topic(prefix, b))) {
            cluster.configure(name, ConnectorConfigs.cdckit(db, mode, prefix, a, b));
            cluster.awaitRunning(name, tasks);
            Map<Integer, String> before = cluster.taskWorkers(name);

            WorkloadResult resultA;
            WorkloadResult resultB;
            try (Workload.Running wa = Workload.on(db::connect, a).threads(2).transactionsPerThread(250)
                    .pauseBetweenTransactions(Duration.ofMillis(4)).seed(1).start();
                 Workload.Running wb = Workload.on(db::connect, b).threads(2).transactionsPerThread(250)
                         .pauseBetweenTransactions(Duration.ofMillis(4)).seed(2).start()) {
                await().atMost(WAIT).until(() -> {
                    readA.poll(Duration.ofMillis(200));
                    return readA.read().stream().anyMatch(r -> !r.event().source().isSnapshot());
                });
                String stopped = cluster.stopWorkerOf(name, 0);
                cluster.awaitRunning(name, tasks);
                assertThat(cluster.taskWorkers(name).values()).as("tasks after %s stopped (before: %s)", stopped,
                        before).doesNotContain(stopped);
                resultA = wa.await();
                resultB = wb.await();
            }
            assertThat(resultA.changes()).isPositive();
            assertThat(resultB.changes()).isPositive();

            try (ReplicaVerifier replicaA = ReplicaVerifier.create(db::connect, a, "replica");
                 ReplicaVerifier replicaB = ReplicaVerifier.create(db::connect, b, "replica")) {
                List<Verification> last = new ArrayList<>(List.of());
                replicaA.apply(events(readA.read()));
                replicaB.apply(events(readB.read()));
                await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
                    replicaA.apply(events(readA.poll(Duration.ofMillis(300))));
                    replicaB.apply(events(readB.poll(Duration.ofMillis(300))));
                    last.clear();
                    last.add(replicaA.verify());
                    last.add(replicaB.verify());
                    return last.stream().allMatch(Verification::matches);
                });
                assertThat(last).allMatch(Verification::matches, "replica equals source");
            }
        }
    }

    private static List<io.cdckit.api.ChangeEvent> events(List<EnvelopeReader.Read> reads) {
        return reads.stream().map(EnvelopeReader.Read::event).toList();
    }
}
