package io.cdckit.timestamp;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceInfo;
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

/** cdc.snapshot.mode=initial, the created-column op rule and the trigger-assisted mode. */
@PostgresTest
class SnapshotAndOpRuleTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private RunningSources sources;

    @AfterEach
    void close() {
        if (sources != null) {
            sources.close();
        }
    }

    @Test
    void anInitialSnapshotDeliversExistingRowsAsReadsThenChanges(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "snap");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, deleted boolean NOT NULL DEFAULT false,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "INSERT INTO " + t.quoted() + " (id) SELECT g FROM generate_series(1, 25) g",
                "UPDATE " + t.quoted() + " SET deleted = true WHERE id = 13");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("snap", Map.of("cdc.snapshot.mode", "initial", "cdc.batch.max-size", "10",
                "cdc.timestamp.deleted-column", "deleted"), t), OffsetStores.memory(), captured);
        captured.awaitAtLeast(24, WAIT);
        db.execute("UPDATE " + t.quoted() + " SET updated_at = clock_timestamp() WHERE id = 3");
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (26)");
        db.execute("DELETE FROM " + t.quoted() + " WHERE id = 20");
        captured.awaitAtLeast(27, WAIT);
        Thread.sleep(300);
        List<ChangeEvent> events = captured.events();
        List<ChangeEvent> reads = events.subList(0, 24);
        assertThat(reads).allMatch(e -> e.op().code().equals("r") && e.source().isSnapshot());
        assertThat(reads).extracting(e -> e.key().get("id")).as("soft-deleted row 13 is not an existing row")
                .doesNotContain(13).doesNotHaveDuplicates();
        assertThat(reads.get(23).source().snapshot()).isEqualTo(SourceInfo.SNAPSHOT_LAST);
        assertThat(reads.subList(0, 23)).allMatch(e -> e.source().snapshot().equals(SourceInfo.SNAPSHOT_TRUE));
        assertThat(RunningSources.opsAndIds(captured).subList(24, 27)).containsExactlyInAnyOrder("u:3", "c:26", "d:20");
        assertThat(events.get(24).source().snapshot()).isEqualTo(SourceInfo.SNAPSHOT_FALSE);
    }

    @Test
    void aCreatedColumnEqualToTheTimestampMeansCreate(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "created_rule");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),"
                + " updated_at timestamptz NOT NULL DEFAULT now())");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("created", Map.of("cdc.timestamp.created-column", "created_at",
                "cdc.timestamp.reconcile.every-polls", "0"), t), OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (1)");
        captured.awaitAtLeast(1, WAIT);
        db.execute("UPDATE " + t.quoted() + " SET updated_at = now() WHERE id = 1");
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (2)");
        captured.awaitAtLeast(3, WAIT);
        Thread.sleep(300);
        assertThat(RunningSources.opsAndIds(captured)).containsExactly("c:1", "u:1", "c:2");
    }

    @Test
    void theInstalledTriggerMaintainsTheTimestampWhateverTheApplicationWrites(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "trigger_assisted");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, note text, updated_at timestamptz)");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("trigger", Map.of("cdc.timestamp.install-trigger", "true"), t),
                OffsetStores.memory(), captured);
        // the application writes no timestamp, or a stale one: the trigger overrides both
        db.execute("INSERT INTO " + t.quoted() + " (id, note) VALUES (1, 'no timestamp')");
        db.execute("INSERT INTO " + t.quoted() + " (id, note, updated_at) VALUES (2, 'stale', '2001-01-01')");
        captured.awaitAtLeast(2, WAIT);
        db.execute("UPDATE " + t.quoted() + " SET note = 'changed' WHERE id = 1");
        captured.awaitAtLeast(3, WAIT);
        Thread.sleep(300);
        assertThat(RunningSources.opsAndIds(captured)).containsExactly("c:1", "c:2", "u:1");
        assertThat(captured.events().get(2).after()).containsEntry("note", "changed");
        assertThat(db.queryForLong("SELECT count(*) FROM " + t.quoted() + " WHERE updated_at < '2020-01-01'"))
                .isZero();
    }
}
