package io.cdckit.trigger;

import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cdc.filter.*} is evaluated in the triggers: a row whose old and new images both fail the
 * filter is never logged, in both flavours; rows moving in or out are logged (and arrive as an
 * insert or a delete).
 */
@PostgresTest
class RowFilterInTriggerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void rowsOutsideTheFilterAreNotLogged(String flavour, TestDatabase db) {
        TableId t = new TableId("public", "filtered_" + flavour);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, status text NOT NULL, secret text)");
        String schema = "filt_" + flavour;
        Map<String, String> keys = Map.of("cdc.trigger.schema", schema, "cdc.trigger.retention", "1h",
                "cdc.filter." + t, "status <> 'draft'", "cdc.columns.exclude", t + ":secret");
        CapturedEvents captured = new CapturedEvents();
        try (TriggerTestSources sources = new TriggerTestSources(db)) {
            ChangeSource source = sources.start(sources.config("filt-" + flavour, flavour, keys, t),
                    OffsetStores.memory(), captured);
            captured.watching(source);
            db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 'draft', 's'), (2, 'open', 's'), (3, 'draft', 's')",
                    "UPDATE " + t.quoted() + " SET secret = 'x' WHERE id = 1", // draft stays draft: not logged
                    "UPDATE " + t.quoted() + " SET status = 'open' WHERE id = 3", // moves in
                    "UPDATE " + t.quoted() + " SET status = 'draft' WHERE id = 2", // moves out
                    "DELETE FROM " + t.quoted() + " WHERE id = 1", // a draft: not logged
                    "INSERT INTO " + t.quoted() + " VALUES (4, 'open', 's')");
            captured.awaitAtLeast(4, WAIT);
            assertThat(captured.events()).extracting(e -> e.op().code() + e.key().get("id"))
                    .containsExactly("c2", "c3", "d2", "c4");
            assertThat(db.queryForLong("SELECT count(*) FROM " + schema + ".change_log")).as("entries logged")
                    .isEqualTo(4);
            assertThat(db.queryForLong("SELECT count(*) FROM " + schema + ".change_log WHERE "
                    + "COALESCE(new_row, old_row) LIKE '(1,%'")).as("entries of the draft row").isZero();
        }
    }
}
