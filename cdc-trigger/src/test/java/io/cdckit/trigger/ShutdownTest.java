package io.cdckit.trigger;

import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Closing a source does not wait out a long poll interval spent listening for notifications. */
@PostgresTest
class ShutdownTest {

    @Test
    void closeIsPromptEvenWithALongPollIntervalAndNoNotify(TestDatabase db) {
        TableId t = new TableId("public", "shutdown_quiet");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)");
        try (TriggerTestSources sources = new TriggerTestSources(db)) {
            CapturedEvents captured = new CapturedEvents();
            ChangeSource source = sources.start(sources.config("shutdown", "statement",
                    Map.of("cdc.trigger.notify", "false", "cdc.poll.interval", "10m"), t),
                    OffsetStores.memory(), captured);
            db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 'x')");
            long t0 = System.nanoTime();
            source.close();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.STOPPED);
        }
    }
}
