package io.cdckit.timestamp;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Deletes: through a soft-delete column, and hard deletes found by key reconciliation. */
@PostgresTest
class DeleteDetectionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private RunningSources sources;

    @AfterEach
    void close() {
        if (sources != null) {
            sources.close();
        }
    }

    @Test
    void aBooleanSoftDeleteArrivesAsDeleteAndAnUndeleteAsCreate(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "soft_bool");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, deleted boolean NOT NULL DEFAULT false,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("soft_bool", Map.of("cdc.timestamp.deleted-column", "deleted"), t),
                OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (1), (2)");
        captured.awaitAtLeast(2, WAIT);
        db.execute("UPDATE " + t.quoted() + " SET deleted = true, updated_at = clock_timestamp() WHERE id = 1");
        captured.awaitAtLeast(1, e -> e.op() == Op.DELETE, WAIT);
        db.execute("UPDATE " + t.quoted() + " SET deleted = false, updated_at = clock_timestamp() WHERE id = 1");
        captured.awaitAtLeast(4, WAIT);
        Thread.sleep(300);
        assertThat(RunningSources.opsAndIds(captured)).containsExactly("c:1", "c:2", "d:1", "c:1");
        ChangeEvent delete = captured.events().get(2);
        assertThat(delete.before()).isNull();
        assertThat(delete.after()).isNull();
        assertThat(delete.key()).isEqualTo(Map.of("id", 1));
    }

    @Test
    void aTimestampSoftDeleteArrivesAsDeleteOnceEvenAfterTheRowIsRemoved(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "soft_ts");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, deleted_at timestamptz,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("soft_ts", Map.of("cdc.timestamp.deleted-column", "deleted_at"), t),
                OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (1), (2)");
        captured.awaitAtLeast(2, WAIT);
        db.execute("UPDATE " + t.quoted() + " SET deleted_at = now(), updated_at = clock_timestamp() WHERE id = 2");
        captured.awaitAtLeast(1, e -> e.op() == Op.DELETE, WAIT);
        Thread.sleep(300);
        // purging the soft-deleted row later is not a second delete
        db.execute("DELETE FROM " + t.quoted() + " WHERE id = 2");
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (3)");
        captured.awaitAtLeast(1, e -> e.key().get("id").equals(3), WAIT);
        Thread.sleep(500);
        assertThat(RunningSources.opsAndIds(captured)).containsExactly("c:1", "c:2", "d:2", "c:3");
    }

    @Test
    void aHardDeleteInTheMiddleOfALargeTableIsFoundByReconciliation(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "hard_large");
        db.execute("CREATE TABLE " + t.quoted() + " (id bigint PRIMARY KEY, payload text,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE INDEX ON " + t.quoted() + " (updated_at, id)",
                "INSERT INTO " + t.quoted() + " (id, payload) SELECT g, 'row ' || g FROM generate_series(1, 50000) g",
                "ANALYZE " + t.quoted());
        CapturedEvents captured = new CapturedEvents();
        // never: the existing rows count as seen; small leaves make the search descend several levels
        sources.start(sources.config("hard_large", Map.of("cdc.timestamp.reconcile.chunk-size", "64"), t),
                OffsetStores.memory(), captured);
        db.execute("DELETE FROM " + t.quoted() + " WHERE id = 31337");
        captured.awaitAtLeast(1, WAIT);
        db.execute("DELETE FROM " + t.quoted() + " WHERE id IN (1, 50000)",
                "DELETE FROM " + t.quoted() + " WHERE id BETWEEN 20001 AND 20100");
        captured.awaitAtLeast(103, WAIT);
        Thread.sleep(500);
        List<ChangeEvent> events = captured.events();
        assertThat(events).hasSize(103).allMatch(e -> e.op() == Op.DELETE && e.after() == null && e.before() == null);
        assertThat(events.get(0).key()).isEqualTo(Map.of("id", 31337L));
        assertThat(events.stream().map(e -> (Long) e.key().get("id")).distinct()).hasSize(103)
                .allMatch(id -> id == 31337L || id == 1L || id == 50000L || (id >= 20001L && id <= 20100L));
    }

    @Test
    void keysSeenSurviveARestartSoADeleteWhileStoppedIsFound(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "hard_restart");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        OffsetStore offsets = OffsetStores.memory();
        var config = sources.config("hard_restart", Map.of(), t);
        CapturedEvents first = new CapturedEvents();
        var s1 = sources.start(config, offsets, first);
        db.execute("INSERT INTO " + t.quoted() + " (id) SELECT g FROM generate_series(1, 10) g");
        first.awaitAtLeast(10, WAIT);
        s1.close();

        db.execute("DELETE FROM " + t.quoted() + " WHERE id IN (4, 7)");
        db.execute("UPDATE " + t.quoted() + " SET updated_at = clock_timestamp() WHERE id = 5");
        CapturedEvents second = new CapturedEvents();
        sources.start(config, offsets, second);
        second.awaitAtLeast(3, WAIT);
        Thread.sleep(500);
        assertThat(RunningSources.opsAndIds(second)).containsExactlyInAnyOrder("d:4", "d:7", "u:5");
    }

    @Test
    void withoutKeyTrackingNothingIsKeptInTheDatabaseAndChangesArriveAsUpdates(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "untracked");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        long stateTables = db.queryForLong("SELECT count(*) FROM pg_tables WHERE schemaname = 'untracked_state'");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("untracked", Map.of("cdc.timestamp.reconcile.every-polls", "0",
                "cdc.timestamp.state-schema", "untracked_state"), t), OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (1)");
        db.execute("DELETE FROM " + t.quoted() + " WHERE id = 1");
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (2)");
        captured.awaitAtLeast(1, e -> e.key().get("id").equals(2), WAIT);
        Thread.sleep(300);
        assertThat(captured.events()).allMatch(e -> e.op() == Op.UPDATE);
        assertThat(stateTables).isZero();
        assertThat(db.queryForLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'untracked_state'")).isZero();
    }
}
