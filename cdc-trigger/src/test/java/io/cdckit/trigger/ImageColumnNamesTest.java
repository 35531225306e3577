package io.cdckit.trigger;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
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
 * The trigger functions name the rows they log (the statement flavour's transition-table alias,
 * its subqueries' columns). A captured table whose columns have those names must still be logged
 * whole: a column named like the row's alias would otherwise be taken for the row.
 */
@PostgresTest
class ImageColumnNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void columnsNamedLikeTheTriggersAliasesAreLoggedWithTheWholeRow(String flavour, TestDatabase db) throws Exception {
        TableId table = new TableId("public", "aliases_" + flavour);
        db.execute("CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, t text, r text, i int, o int, w int, n int)");
        CapturedEvents captured = new CapturedEvents();
        try (TriggerTestSources sources = new TriggerTestSources(db)) {
            sources.start(sources.config("aliases-" + flavour, flavour, table), OffsetStores.memory(), captured);
            db.execute("INSERT INTO " + table.quoted() + " VALUES (1, 'tee', 'are', 10, 20, 30, 40)",
                    "UPDATE " + table.quoted() + " SET t = 'tee2', n = 41 WHERE id = 1",
                    "DELETE FROM " + table.quoted() + " WHERE id = 1");
            List<ChangeEvent> events = captured.awaitAtLeast(3, Duration.ofSeconds(30));
            assertThat(events).extracting(ChangeEvent::op).containsExactly(Op.CREATE, Op.UPDATE, Op.DELETE);
            Map<String, Object> first = Map.of("id", 1, "t", "tee", "r", "are", "i", 10, "o", 20, "w", 30, "n", 40);
            Map<String, Object> second = Map.of("id", 1, "t", "tee2", "r", "are", "i", 10, "o", 20, "w", 30, "n", 41);
            assertThat(events.get(0).after()).isEqualTo(first);
            assertThat(events.get(1).before()).isEqualTo(first);
            assertThat(events.get(1).after()).isEqualTo(second);
            assertThat(events.get(2).before()).isEqualTo(second);
        }
    }
}
