package io.cdckit.trigger;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transaction larger than a page is read page by page through the addresses of its entries;
 * when the log is rewritten in between (VACUUM FULL moves every entry), reading falls back to
 * visibility and nothing is lost, doubled or left behind in the log.
 */
@PostgresTest
class LargeBatchTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void aLargeTransactionSurvivesARewriteOfTheLogBetweenItsPages(String flavour, TestDatabase db) {
        TableId t = new TableId("public", "large_" + flavour);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v int NOT NULL)");
        AtomicBoolean rewrite = new AtomicBoolean();
        AtomicBoolean rewritten = new AtomicBoolean();
        CapturedEvents captured = new CapturedEvents();
        try (TriggerTestSources sources = new TriggerTestSources(db)) {
            ChangeSource source = sources.start(sources.config("large-" + flavour, flavour,
                    Map.of("cdc.batch.max-size", "10"), t), OffsetStores.memory(), events -> {
                        captured.handle(events);
                        if (rewrite.get() && rewritten.compareAndSet(false, true)) {
                            // entries of the first transaction were deleted: the rewrite moves every later one
                            db.execute("VACUUM FULL cdckit.change_log");
                        }
                    });
            captured.watching(source);
            db.execute("INSERT INTO " + t.quoted() + " SELECT g, 0 FROM generate_series(1, 20) g");
            captured.awaitAtLeast(20, WAIT);
            Awaitility.await().atMost(WAIT).until(() -> db.queryForLong("SELECT count(*) FROM cdckit.change_log") == 0);
            rewrite.set(true);
            db.execute("INSERT INTO " + t.quoted() + " SELECT g, 1 FROM generate_series(21, 75) g");
            captured.awaitAtLeast(75, WAIT);
            Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(
                    db.queryForLong("SELECT count(*) FROM cdckit.change_log")).as("consumed entries are deleted")
                    .isZero());
            assertThat(rewritten).isTrue();
            List<ChangeEvent> events = captured.events();
            assertThat(events).extracting(e -> e.key().get("id"))
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 75).boxed().toList());
        }
    }
}
