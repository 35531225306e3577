package io.cdckit.trigger;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions that commit in another order than they logged: the late committer is neither
 * lost nor reordered, for both flavours.
 */
@PostgresTest
class CommitOrderTest {

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

    private TableId table(String name, String flavour) {
        TableId t = new TableId("public", name + "_" + flavour);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v int NOT NULL)");
        return t;
    }

    private static void settle() throws InterruptedException {
        Thread.sleep(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void aTransactionThatLoggedFirstAndCommitsLastIsDeliveredAfterTheOthers(String flavour) throws Exception {
        TableId t = table("late", flavour);
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("late-" + flavour, flavour, t), OffsetStores.memory(), captured);

        try (Connection early = db.connect()) {
            early.setAutoCommit(false);
            try (Statement st = early.createStatement()) {
                st.executeUpdate("INSERT INTO " + t.quoted() + " VALUES (1, 1)");
            }
            db.execute("INSERT INTO " + t.quoted() + " VALUES (2, 2)");
            db.execute("INSERT INTO " + t.quoted() + " VALUES (3, 3)");
            captured.awaitAtLeast(2, WAIT);
            early.commit();
        }
        captured.awaitAtLeast(3, WAIT);
        settle();
        assertThat(captured.events()).extracting(e -> e.op().code() + ":" + e.key().get("id"))
                .as("the early logger, committed last, arrives last and is not skipped")
                .containsExactly("c:2", "c:3", "c:1");
        assertThat(logIds(captured.events())).as("its log id is the lowest").element(2)
                .isEqualTo(logIds(captured.events()).stream().min(Long::compare).orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void anOlderTransactionUpdatingARowAfterAYoungerOneComesSecond(String flavour) throws Exception {
        for (boolean sameBatch : new boolean[] {true, false}) {
            TableId t = table("older_" + (sameBatch ? "batch" : "live"), flavour);
            db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 0), (100, 0)");
            OffsetStore offsets = OffsetStores.memory();
            var config = sources.config("older-" + flavour + "-" + sameBatch, flavour, t);
            CapturedEvents first = new CapturedEvents();
            ChangeSource running = sources.start(config, offsets, first);
            db.execute("UPDATE " + t.quoted() + " SET v = 1 WHERE id = 100");
            first.awaitAtLeast(1, WAIT);
            if (sameBatch) {
                // both transactions then commit while the source is stopped: one batch holds them
                running.close();
            }

            long olderXid;
            long youngerXid;
            try (Connection older = db.connect(); Connection younger = db.connect()) {
                older.setAutoCommit(false);
                younger.setAutoCommit(false);
                olderXid = xid(older);
                youngerXid = xid(younger);
                try (Statement st = younger.createStatement()) {
                    st.executeUpdate("UPDATE " + t.quoted() + " SET v = 10 WHERE id = 1");
                }
                younger.commit();
                try (Statement st = older.createStatement()) {
                    st.executeUpdate("UPDATE " + t.quoted() + " SET v = 20 WHERE id = 1");
                }
                older.commit();
            }
            assertThat(olderXid).as("the trap: the second update has the lower xid").isLessThan(youngerXid);

            CapturedEvents events = first;
            if (sameBatch) {
                events = new CapturedEvents();
                sources.start(config, offsets, events);
            }
            events.awaitAtLeast(2, e -> e.key().get("id").equals(1), WAIT);
            settle();
            List<ChangeEvent> row1 = events.events(e -> e.key().get("id").equals(1));
            assertThat(row1).extracting(e -> e.before().get("v") + "->" + e.after().get("v"))
                    .as("updates of row 1 in commit order (same batch: %s)", sameBatch)
                    .containsExactly("0->10", "10->20");
            assertThat(row1).extracting(e -> e.source().txId())
                    .containsExactly(youngerXid & 0xFFFF_FFFFL, olderXid & 0xFFFF_FFFFL);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void concurrentWorkloadReadInSmallPagesReplicatesExactly(String flavour) {
        TableId t = new TableId("public", "paged_" + flavour);
        Workload.createTable(db::connect, t);
        try (ReplicaVerifier replica = ReplicaVerifier.create(db::connect, t, "replica_" + flavour)) {
            sources.start(sources.config("paged-" + flavour, flavour, Map.of("cdc.batch.max-size", "7"), t),
                    OffsetStores.memory(), replica::apply);
            WorkloadResult result = Workload.on(db::connect, t).threads(3).transactionsPerThread(30)
                    .maxStatementsPerTransaction(6).longTransactions(3).longTransactionHold(Duration.ofMillis(600))
                    .seed(11).run();
            assertThat(result.transactionsCommitted()).isPositive();
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> replica.verify().matches());
            Verification v = replica.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();
            assertThat(v.sourceRows()).isEqualTo(result.netRows());
        }
        Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(db.queryForLong(
                "SELECT count(*) FROM cdckit.change_log WHERE relid = '" + t.quoted() + "'::regclass"))
                .as("consumed entries are deleted").isZero());
    }

    private static long xid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text")) {
            rs.next();
            return Long.parseLong(rs.getString(1));
        }
    }

    private static List<Long> logIds(List<ChangeEvent> events) {
        return events.stream().map(e -> Long.parseLong(e.source().sequence())).toList();
    }
}
