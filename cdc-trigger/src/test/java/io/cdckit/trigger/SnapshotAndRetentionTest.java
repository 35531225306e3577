package io.cdckit.trigger;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Verification;
import io.cdckit.testkit.Workload;
import io.cdckit.testkit.WorkloadResult;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The initial snapshot's seam with the log, and what happens to consumed log entries. */
@PostgresTest
class SnapshotAndRetentionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private TestDatabase db;
    private TriggerTestSources sources;

    @BeforeEach
    void setUp(TestDatabase database) {
        db = database;
        sources = new TriggerTestSources(database);
    }

    @AfterEach
    void tearDown() {
        sources.close();
    }

    @Test
    void theSnapshotAndTheLogMeetWithoutLossOrDoubles() throws Exception {
        TableId t = new TableId("public", "seam");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v int)",
                "INSERT INTO " + t.quoted() + " SELECT g, g FROM generate_series(1, 25) g");
        CapturedEvents captured = new CapturedEvents();
        // installed ahead, so that starting the source does not touch the triggers (and takes no lock)
        TriggerInstallation.install(sources.config("seam", "statement",
                Map.of("cdc.snapshot.mode", "initial", "cdc.batch.max-size", "10"), t));
        try (Connection open = db.connect()) {
            open.setAutoCommit(false);
            try (Statement st = open.createStatement()) {
                st.executeUpdate("INSERT INTO " + t.quoted() + " VALUES (100, 100)");
            }
            open.commit();
            open.setAutoCommit(false);
            try (Statement st = open.createStatement()) {
                st.executeUpdate("UPDATE " + t.quoted() + " SET v = -1 WHERE id = 1");
            }
            sources.start(sources.config("seam", "statement",
                    Map.of("cdc.snapshot.mode", "initial", "cdc.batch.max-size", "10"), t), OffsetStores.memory(),
                    captured);
            captured.awaitAtLeast(26, WAIT);
            open.commit();
        }
        captured.awaitAtLeast(1, e -> e.op() == Op.UPDATE, WAIT);
        Thread.sleep(400);
        List<ChangeEvent> events = captured.events();
        List<ChangeEvent> reads = events.stream().filter(e -> e.op() == Op.READ).toList();
        assertThat(reads).extracting(e -> e.key().get("id")).hasSize(26).doesNotHaveDuplicates().contains(100);
        assertThat(reads.get(25).source().snapshot()).isEqualTo(SourceInfo.SNAPSHOT_LAST);
        assertThat(reads.get(0).source().snapshot()).isEqualTo(SourceInfo.SNAPSHOT_TRUE);
        assertThat(reads.stream().filter(e -> e.key().get("id").equals(1)).findFirst().orElseThrow().after())
                .as("the snapshot shows the committed state").containsEntry("v", 1);
        assertThat(events.subList(26, events.size())).extracting(e -> e.op().code() + ":" + e.key().get("id"))
                .as("the update uncommitted at snapshot time follows it, once").containsExactly("u:1");
    }

    @Test
    void aSnapshotTakenDuringAConcurrentWorkloadReplicatesExactly() {
        TableId t = new TableId("public", "snap_workload");
        Workload.createTable(db::connect, t);
        Workload.on(db::connect, t).threads(2).transactionsPerThread(20).seed(3).run();
        // install before the workload runs: CREATE TRIGGER waits for open transactions, and the
        // workload's long transaction waits for writers that would queue behind it
        sources.start(sources.config("snapworkload", "row", Map.of("cdc.snapshot.mode", "never"), t),
                OffsetStores.memory(), events -> { }).close();
        try (ReplicaVerifier replica = ReplicaVerifier.create(db::connect, t, "replica_snap");
             Workload.Running running = Workload.on(db::connect, t).threads(2).transactionsPerThread(30)
                     .longTransactions(1).longTransactionHold(Duration.ofMillis(500)).seed(5).start()) {
            sources.start(sources.config("snapworkload", "row", Map.of("cdc.snapshot.mode", "initial",
                    "cdc.batch.max-size", "5"), t), OffsetStores.memory(), replica::apply);
            WorkloadResult result = running.await();
            assertThat(result.transactionsCommitted()).isPositive();
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> replica.verify().matches());
            Verification v = replica.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();
        }
    }

    @Test
    void consumedEntriesAreKeptForTheRetentionThenDeleted() throws Exception {
        TableId kept = new TableId("public", "retained");
        TableId deleted = new TableId("public", "not_retained");
        for (TableId t : List.of(kept, deleted)) {
            db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY)");
        }
        CapturedEvents keptEvents = new CapturedEvents();
        CapturedEvents deletedEvents = new CapturedEvents();
        sources.start(sources.config("retained", "row", Map.of("cdc.trigger.retention", "1h"), kept),
                OffsetStores.memory(), keptEvents);
        sources.start(sources.config("not-retained", "row", deleted), OffsetStores.memory(), deletedEvents);
        for (int i = 1; i <= 3; i++) {
            db.execute("INSERT INTO " + kept.quoted() + " VALUES (" + i + ")",
                    "INSERT INTO " + deleted.quoted() + " VALUES (" + i + ")");
        }
        keptEvents.awaitAtLeast(3, WAIT);
        deletedEvents.awaitAtLeast(3, WAIT);
        Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(db.queryForLong(
                "SELECT count(*) FROM cdckit.change_log WHERE relid = 'public.not_retained'::regclass")).isZero());
        Thread.sleep(300);
        assertThat(db.queryForLong("SELECT count(*) FROM cdckit.change_log WHERE relid = 'public.retained'::regclass"))
                .as("kept for audit within the retention").isEqualTo(3);
        assertThat(keptEvents.events()).hasSize(3);
    }
}
