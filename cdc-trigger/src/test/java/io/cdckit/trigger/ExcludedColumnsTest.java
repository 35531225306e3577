package io.cdckit.trigger;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Columns that {@code cdc.columns.*} leaves out never reach the change log: the triggers log them
 * as NULL (their names are the triggers' arguments), for excluded columns and for those outside an
 * include list, in both flavours, for inserts, updates and deletes. A source started later without
 * the setting replaces the triggers, and the column is logged again.
 */
@PostgresTest
class ExcludedColumnsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void leftOutColumnsAreNotInTheChangeLog(String flavour, TestDatabase db) {
        TableId users = new TableId("public", "excl_users_" + flavour);
        TableId notes = new TableId("public", "excl_notes_" + flavour);
        db.execute("CREATE TABLE " + users.quoted() + " (id int PRIMARY KEY, name text, ssn text)",
                "CREATE TABLE " + notes.quoted() + " (id int PRIMARY KEY, title text, body text, secret text)");
        String schema = "excl_" + flavour;
        Map<String, String> keys = Map.of("cdc.trigger.schema", schema, "cdc.trigger.retention", "1h",
                "cdc.columns.exclude", users + ":ssn", "cdc.columns.include", notes + ":title");
        CapturedEvents captured = new CapturedEvents();
        try (TriggerTestSources sources = new TriggerTestSources(db)) {
            ChangeSource source = sources.start(sources.config("excl-" + flavour, flavour, keys, users, notes),
                    OffsetStores.memory(), captured);
            captured.watching(source);
            db.execute("INSERT INTO " + users.quoted() + " VALUES (1, 'ann', 'SSN-111'), (2, 'bob', 'SSN-222')",
                    "UPDATE " + users.quoted() + " SET name = 'anne', ssn = 'SSN-333' WHERE id = 1",
                    "DELETE FROM " + users.quoted() + " WHERE id = 2",
                    "INSERT INTO " + notes.quoted() + " VALUES (1, 'hello', 'BODY-1', 'SECRET-1')",
                    "UPDATE " + notes.quoted() + " SET body = 'BODY-2' WHERE id = 1");
            captured.awaitAtLeast(6, WAIT);
            List<ChangeEvent> events = captured.events();
            assertThat(events).allSatisfy(e -> {
                for (Map<String, Object> image : java.util.Arrays.asList(e.before(), e.after())) {
                    if (image != null) {
                        assertThat(image).doesNotContainKeys("ssn", "body", "secret");
                    }
                }
            });
            assertThat(events).filteredOn(e -> e.table().equals(users) && e.after() != null)
                    .extracting(e -> e.after().get("name")).contains("ann", "bob", "anne");
            String logged = db.queryForString("SELECT pg_catalog.string_agg(COALESCE(old_row, '') || '|' "
                    + "|| COALESCE(new_row, ''), ' ') FROM " + schema + ".change_log");
            assertThat(logged).contains("ann", "anne", "hello")
                    .doesNotContain("SSN-", "BODY-", "SECRET-");
        }

        // without the setting, the triggers are replaced and log every column again
        try (TriggerTestSources sources = new TriggerTestSources(db)) {
            CapturedEvents again = new CapturedEvents();
            ChangeSource source = sources.start(sources.config("excl-" + flavour, flavour,
                    Map.of("cdc.trigger.schema", schema, "cdc.trigger.retention", "1h"), users, notes),
                    OffsetStores.memory(), again);
            again.watching(source);
            db.execute("INSERT INTO " + users.quoted() + " VALUES (3, 'cid', 'SSN-444')");
            again.awaitAtLeast(1, e -> Integer.valueOf(3).equals(e.key().get("id")), WAIT);
            assertThat(db.queryForString("SELECT pg_catalog.string_agg(new_row, ' ') FROM " + schema
                    + ".change_log WHERE new_row LIKE '(3,%'")).contains("SSN-444");
        }
    }
}
