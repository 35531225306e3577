package io.cdckit.timestamp;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Verification;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chunked snapshot: resuming at the chunk it was in after a restart, on demand while the
 * stream goes on, tables added to cdc.tables later, and what happens to rows changed, deleted or
 * soft-deleted before or after their chunk.
 */
@PostgresTest
class ChunkedSnapshotTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private TestDatabase db;
    private RunningSources sources;

    @BeforeEach
    void setUp(TestDatabase database) {
        db = database;
        sources = new RunningSources(database);
    }

    @AfterEach
    void close() {
        sources.close();
    }

    private void table(TableId t, int rows) {
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v int NOT NULL DEFAULT 0,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE INDEX ON " + t.quoted() + " (updated_at, id)",
                "INSERT INTO " + t.quoted() + " (id) SELECT g FROM generate_series(1, " + rows + ") g");
    }

    private static boolean isLast(ChangeEvent e) {
        return SourceInfo.SNAPSHOT_LAST.equals(e.source().snapshot());
    }

    private static int id(ChangeEvent e) {
        return (Integer) e.key().get("id");
    }

    @Test
    void aRestartMidSnapshotResumesAtTheChunkItWasIn() {
        TableId t = new TableId("public", "resume_me");
        int rows = 20_000;
        int chunk = 1_000;
        table(t, rows);
        OffsetStore offsets = OffsetStores.memory();
        var config = sources.config("resume", Map.of("cdc.snapshot.mode", "initial",
                "cdc.snapshot.chunk-size", String.valueOf(chunk), "cdc.batch.max-size", "300",
                "cdc.errors.max-retries", "0"), t);
        CapturedEvents first = new CapturedEvents();
        AtomicInteger batches = new AtomicInteger();
        // the seventh batch fails: the source stops in the middle of the second chunk
        ChangeSource s1 = sources.start(config, offsets, batch -> {
            if (batches.incrementAndGet() == 7) {
                throw new IllegalStateException("stop here");
            }
            first.handle(batch);
        });
        Awaitility.await().atMost(WAIT).until(() -> s1.status().state() == SourceStatus.State.FAILED);
        s1.close();
        List<Integer> firstIds = first.events().stream().map(ChunkedSnapshotTest::id).toList();
        assertThat(first.events()).allMatch(e -> e.op() == Op.READ);
        int lastDelivered = firstIds.get(firstIds.size() - 1);
        Position committed = offsets.load("resume").orElseThrow();
        SnapshotProgress progress = SnapshotProgress.from(committed);
        assertThat(progress).as("the progress is in the committed position").isNotNull();
        assertThat(progress.after()).as("the committed row is inside a chunk: the progress before that chunk")
                .containsExactly(String.valueOf((lastDelivered - 1) / chunk * chunk));
        assertThat(committed.getString("snapshot.upTo")).isEqualTo("[\"" + rows + "\"]");

        CapturedEvents second = new CapturedEvents();
        sources.start(config, offsets, second);
        second.awaitAtLeast(1, ChunkedSnapshotTest::isLast, WAIT);
        List<Integer> secondIds = second.events().stream().filter(e -> e.op() == Op.READ).map(ChunkedSnapshotTest::id)
                .toList();
        assertThat(secondIds).as("each row once in the second run").doesNotHaveDuplicates();
        assertThat(secondIds.get(0)).as("the second run starts at the chunk the first was in, not at the start")
                .isGreaterThan(lastDelivered - chunk).isLessThanOrEqualTo(lastDelivered + 1);
        Set<Integer> twice = new HashSet<>(firstIds);
        twice.retainAll(secondIds);
        assertThat(twice.size()).as("rows read twice").isPositive().isLessThanOrEqualTo(chunk);
        Set<Integer> all = new HashSet<>(firstIds);
        all.addAll(secondIds);
        assertThat(all).as("every row").hasSize(rows);
        Awaitility.await("done: no progress left in the committed position").atMost(WAIT)
                .until(() -> SnapshotProgress.from(offsets.load("resume").orElseThrow()) == null);
    }

    @Test
    void aSnapshotOnDemandRunsWhileTheStreamGoesOn() throws Exception {
        TableId t = new TableId("public", "on_demand");
        table(t, 3_000);
        OffsetStore offsets = OffsetStores.memory();
        CapturedEvents captured = new CapturedEvents();
        AtomicBoolean changed = new AtomicBoolean();
        List<Boolean> progressInPositions = new ArrayList<>();
        try (ReplicaVerifier replica = ReplicaVerifier.create(db::connect, t, "replica_on_demand")) {
            ChangeSource source = sources.start(sources.config("on-demand", Map.of("cdc.snapshot.chunk-size", "100",
                    "cdc.batch.max-size", "100"), t), offsets, batch -> {
                        replica.apply(batch);
                        captured.handle(batch);
                        synchronized (progressInPositions) {
                            batch.forEach(e -> progressInPositions.add(SnapshotProgress.from(e.position()) != null));
                        }
                        if (batch.get(0).op() == Op.READ && changed.compareAndSet(false, true)) {
                            // while the snapshot runs: rows it passed, rows ahead of it, a new row
                            db.execute("UPDATE " + t.quoted() + " SET v = 1, updated_at = clock_timestamp()"
                                            + " WHERE id IN (5, 2950)",
                                    "DELETE FROM " + t.quoted() + " WHERE id IN (50, 2900)",
                                    "INSERT INTO " + t.quoted() + " (id) VALUES (5000)");
                        }
                        sleep(15);
                    });
            db.execute("UPDATE " + t.quoted() + " SET v = 1, updated_at = clock_timestamp() WHERE id = 7");
            captured.awaitAtLeast(1, WAIT);
            assertThat(RunningSources.opsAndIds(captured)).as("streaming before the snapshot").containsExactly("u:7");

            source.snapshot(t);
            captured.awaitAtLeast(1, ChunkedSnapshotTest::isLast, WAIT);
            captured.awaitAtLeast(1, e -> e.op() == Op.CREATE && id(e) == 5000, WAIT);
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> replica.verify().matches());
            Verification v = replica.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();

            List<ChangeEvent> events = captured.events();
            int lastRead = events.indexOf(events.stream().filter(ChunkedSnapshotTest::isLast).findFirst().orElseThrow());
            assertThat(events.subList(0, lastRead).stream().filter(e -> e.op() != Op.READ)
                    .map(e -> e.op().code() + ":" + id(e)))
                    .as("changes made during the snapshot arrive before it ends").contains("c:5000", "u:5", "d:50");
            assertThat(events.stream().filter(e -> e.op() == Op.READ).map(ChunkedSnapshotTest::id))
                    .as("every row present at its chunk, once").doesNotHaveDuplicates()
                    .hasSize(2_999).doesNotContain(2900, 5000);
            ChunkedSnapshotWorkloadTest.assertStatesInReadOrder(events);
            synchronized (progressInPositions) {
                assertThat(progressInPositions.subList(1, lastRead)).as("positions during the snapshot")
                        .containsOnly(true);
                assertThat(progressInPositions.get(lastRead)).as("the position of its last row").isFalse();
            }
            Awaitility.await("done: no progress left in the committed position").atMost(WAIT)
                    .until(() -> SnapshotProgress.from(offsets.load("on-demand").orElseThrow()) == null);
        }
    }

    @Test
    void aTableAddedToCdcTablesIsSnapshottedOnRestartAndTheOthersAreNot() {
        TableId a = new TableId("public", "kept_a");
        TableId b = new TableId("public", "added_b");
        table(a, 500);
        table(b, 300);
        OffsetStore offsets = OffsetStores.memory();
        Map<String, String> initial = Map.of("cdc.snapshot.mode", "initial", "cdc.snapshot.chunk-size", "100");
        CapturedEvents first = new CapturedEvents();
        ChangeSource s1 = sources.start(sources.config("added", initial, a), offsets, first);
        first.awaitAtLeast(1, ChunkedSnapshotTest::isLast, WAIT);
        assertThat(first.events()).hasSize(500);
        s1.close();

        db.execute("UPDATE " + a.quoted() + " SET v = 1, updated_at = clock_timestamp() WHERE id = 1",
                "INSERT INTO " + b.quoted() + " (id) VALUES (1000)");
        CapturedEvents second = new CapturedEvents();
        sources.start(sources.config("added", initial, a, b), offsets, second);
        second.awaitAtLeast(1, ChunkedSnapshotTest::isLast, WAIT);
        second.awaitAtLeast(1, e -> a.table().equals(e.source().table()), WAIT);
        List<ChangeEvent> events = second.events();
        assertThat(events.stream().filter(e -> a.table().equals(e.source().table()))
                .map(e -> e.op().code() + ":" + id(e))).as("the table captured before streams on").containsExactly("u:1");
        List<Integer> reads = events.stream().filter(e -> b.table().equals(e.source().table()))
                .peek(e -> assertThat(e.op()).isEqualTo(Op.READ)).map(ChunkedSnapshotTest::id).toList();
        assertThat(reads).as("the added table is snapshotted").hasSize(301).doesNotHaveDuplicates().contains(1000);
    }

    @Test
    void rowsChangedOrDeletedBeforeOrAfterTheirChunkKeepTheOpRule() throws Exception {
        TableId t = new TableId("public", "around_chunks");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v int NOT NULL DEFAULT 0,"
                        + " deleted boolean NOT NULL DEFAULT false,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "INSERT INTO " + t.quoted() + " (id) SELECT g FROM generate_series(1, 100) g",
                "UPDATE " + t.quoted() + " SET deleted = true WHERE id = 13");
        CapturedEvents captured = new CapturedEvents();
        AtomicBoolean changed = new AtomicBoolean();
        sources.start(sources.config("around", Map.of("cdc.snapshot.mode", "initial", "cdc.snapshot.chunk-size", "10",
                "cdc.batch.max-size", "10", "cdc.timestamp.deleted-column", "deleted"), t), OffsetStores.memory(),
                batch -> {
                    captured.handle(batch);
                    if (changed.compareAndSet(false, true)) {
                        // after the first chunk (ids 1 to 10) was delivered, before any other was read
                        db.execute("DELETE FROM " + t.quoted() + " WHERE id IN (3, 55)",
                                "UPDATE " + t.quoted() + " SET deleted = true, updated_at = clock_timestamp()"
                                        + " WHERE id = 66",
                                "UPDATE " + t.quoted() + " SET v = 1, updated_at = clock_timestamp() WHERE id IN (5, 77)",
                                "INSERT INTO " + t.quoted() + " (id) VALUES (1000)");
                    }
                });
        captured.awaitAtLeast(1, ChunkedSnapshotTest::isLast, WAIT);
        captured.awaitAtLeast(1, e -> id(e) == 3 && e.op() == Op.DELETE, WAIT);
        captured.awaitAtLeast(1, e -> id(e) == 66 && e.op() == Op.DELETE, WAIT);
        captured.awaitAtLeast(1, e -> id(e) == 1000, WAIT);
        captured.awaitAtLeast(2, e -> id(e) == 77, WAIT);
        captured.awaitAtLeast(2, e -> id(e) == 5, WAIT);
        Thread.sleep(300);

        Map<Integer, List<String>> byId = new LinkedHashMap<>();
        for (ChangeEvent e : captured.events()) {
            byId.computeIfAbsent(id(e), k -> new ArrayList<>()).add(e.op().code()
                    + (e.after() == null ? "" : "(v" + e.after().get("v") + ")"));
        }
        assertThat(byId.get(55)).as("deleted before its chunk: never delivered, no delete invented").isNull();
        assertThat(byId.get(13)).as("soft-deleted before the start").isNull();
        assertThat(byId.get(3)).as("deleted after its chunk: found by reconciliation").containsExactly("r(v0)", "d");
        assertThat(byId.get(66)).as("soft-deleted before its chunk: the stream reports it, the chunk skips it")
                .containsExactly("d");
        assertThat(byId.get(5)).as("updated after its chunk").containsExactly("r(v0)", "u(v1)");
        assertThat(byId.get(77)).as("updated before its chunk: the chunk and the stream both see the new state")
                .hasSize(2).contains("r(v1)").containsAnyOf("c(v1)", "u(v1)");
        assertThat(byId.get(1000)).as("inserted above the largest key").containsExactly("c(v0)");
        for (int i = 1; i <= 100; i++) {
            if (!List.of(3, 5, 13, 55, 66, 77).contains(i)) {
                assertThat(byId.get(i)).as("row %s", i).containsExactly("r(v0)");
            }
        }
        // the events applied in order give the table's rows that are not deleted
        Map<Integer, Object> replayed = new HashMap<>();
        for (ChangeEvent e : captured.events()) {
            if (e.op() == Op.DELETE) {
                replayed.remove(id(e));
            } else {
                replayed.put(id(e), e.after().get("v"));
            }
        }
        Map<Integer, Object> live = new HashMap<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, v FROM " + t.quoted() + " WHERE NOT deleted")) {
            while (rs.next()) {
                live.put(rs.getInt(1), rs.getInt(2));
            }
        }
        assertThat(replayed).isEqualTo(live);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
