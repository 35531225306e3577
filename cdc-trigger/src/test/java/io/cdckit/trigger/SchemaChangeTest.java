package io.cdckit.trigger;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A captured table altered or dropped while capturing: the documented behaviour, never a stuck reader. */
@PostgresTest
class SchemaChangeTest {

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

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void entriesLoggedBeforeAColumnWasAddedOrDroppedLineUpWithTheCurrentColumns(String flavour) {
        TableId t = new TableId("public", "altered_" + flavour);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, a text, b int)");
        OffsetStore offsets = OffsetStores.memory();
        var config = sources.config("altered-" + flavour, flavour, t);
        CapturedEvents first = new CapturedEvents();
        ChangeSource s1 = sources.start(config, offsets, first);
        db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 'one', 1)");
        first.awaitAtLeast(1, WAIT);
        s1.close();

        // a backlog spanning an added column, read only afterwards
        db.execute("INSERT INTO " + t.quoted() + " VALUES (2, 'two', 2)",
                "ALTER TABLE " + t.quoted() + " ADD COLUMN c text",
                "INSERT INTO " + t.quoted() + " VALUES (3, 'three', 3, 'c3')",
                "UPDATE " + t.quoted() + " SET b = 20 WHERE id = 2");
        CapturedEvents second = new CapturedEvents();
        ChangeSource s2 = sources.start(config, offsets, second);
        List<ChangeEvent> events = second.awaitAtLeast(3, WAIT);
        assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("id")).containsExactly("c:2", "c:3", "u:2");
        assertThat(events.get(0).after()).as("logged before c was added")
                .containsExactly(entry("id", 2), entry("a", "two"), entry("b", 2), entry("c", null));
        assertThat(events.get(1).after()).containsExactly(entry("id", 3), entry("a", "three"), entry("b", 3),
                entry("c", "c3"));
        assertThat(events.get(2).before()).containsEntry("b", 2).containsEntry("c", null);
        assertThat(events.get(2).after()).containsEntry("b", 20);
        s2.close();

        // a backlog spanning a dropped column
        db.execute("INSERT INTO " + t.quoted() + " VALUES (4, 'four', 4, 'c4')",
                "ALTER TABLE " + t.quoted() + " DROP COLUMN a",
                "INSERT INTO " + t.quoted() + " VALUES (5, 5, 'c5')");
        CapturedEvents third = new CapturedEvents();
        ChangeSource s3 = sources.start(config, offsets, third);
        events = third.awaitAtLeast(2, WAIT);
        assertThat(events.get(0).after()).as("logged before a was dropped")
                .containsExactly(entry("id", 4), entry("b", 4), entry("c", "c4"));
        assertThat(events.get(1).after()).containsExactly(entry("id", 5), entry("b", 5), entry("c", "c5"));

        // and while the source runs
        db.execute("ALTER TABLE " + t.quoted() + " ADD COLUMN d int DEFAULT 7",
                "INSERT INTO " + t.quoted() + " (id, b) VALUES (6, 6)");
        ChangeEvent live = third.awaitAtLeast(1, e -> e.key().get("id").equals(6), WAIT).get(0);
        assertThat(live.after()).containsEntry("d", 7);
        assertThat(s3.status().state()).isEqualTo(SourceStatus.State.RUNNING);
    }

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void aDroppedTableStopsItsEventsWhileTheOthersFlow(String flavour) throws InterruptedException {
        TableId dropped = new TableId("public", "dropped_" + flavour);
        TableId kept = new TableId("public", "kept_" + flavour);
        for (TableId t : List.of(dropped, kept)) {
            db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)");
        }
        CapturedEvents captured = new CapturedEvents();
        ChangeSource source = sources.start(sources.config("dropped-" + flavour, flavour, dropped, kept),
                OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + dropped.quoted() + " VALUES (1, 'seen')");
        captured.awaitAtLeast(1, WAIT);

        // the drop commits with the entries, so the reader cannot read them before the table is gone
        db.execute("BEGIN", "INSERT INTO " + dropped.quoted() + " VALUES (2, 'dropped in the same transaction')",
                "INSERT INTO " + kept.quoted() + " VALUES (1, 'same batch')",
                "DROP TABLE " + dropped.quoted(), "COMMIT",
                "INSERT INTO " + kept.quoted() + " VALUES (2, 'after the drop')");
        captured.awaitAtLeast(1, e -> e.table().equals(kept) && e.key().get("id").equals(2), WAIT);
        Thread.sleep(300);
        assertThat(captured.events(e -> e.table().equals(kept))).extracting(e -> e.key().get("id"))
                .containsExactly(1, 2);
        assertThat(captured.events(e -> e.table().equals(dropped))).extracting(e -> e.key().get("id"))
                .as("entries of a table dropped before they were read are skipped").containsExactly(1);
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
    }

    private static java.util.Map.Entry<String, Object> entry(String k, Object v) {
        return new java.util.AbstractMap.SimpleEntry<>(k, v);
    }
}
