package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A batch that reached the handler but was never committed (the handler failed, or the process
 * died) comes again after a restart; a row of it deleted in between cannot come again, so its
 * delete must be reported instead: the handler may hold the row.
 */
@PostgresTest
class UncommittedBatchTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aRowOfAnUncommittedBatchDeletedBeforeTheRestartArrivesAsADelete(TestDatabase db) {
        TableId t = new TableId("public", "uncommitted_rows");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, name text,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        OffsetStore offsets = OffsetStores.memory();
        try (TestSources sources = new TestSources(db)) {
            CdcConfig config = sources.config("uncommitted", Map.of("cdc.mode", "timestamp",
                    "cdc.timestamp.reconcile.every-polls", "1", "cdc.errors.max-retries", "0"), t);
            CapturedEvents handled = new CapturedEvents();
            AtomicInteger calls = new AtomicInteger();
            ChangeSource first = sources.start(config, offsets, batch -> {
                handled.handle(batch);
                calls.incrementAndGet();
                throw new IllegalStateException("the handler fails after seeing the batch");
            });
            db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (1, 'gone'), (2, 'stays')");
            await().atMost(WAIT).until(() -> first.status().state() == SourceStatus.State.FAILED);
            first.close();
            assertThat(handled.events()).extracting(e -> e.key().get("id")).contains(1, 2);

            db.execute("DELETE FROM " + t.quoted() + " WHERE id = 1");
            CapturedEvents again = new CapturedEvents();
            again.watching(sources.start(config, offsets, again));
            again.awaitAtLeast(1, e -> Integer.valueOf(1).equals(e.key().get("id")) && e.op().code().equals("d"),
                    WAIT);
            again.awaitAtLeast(1, e -> Integer.valueOf(2).equals(e.key().get("id")), WAIT);
            assertThat(again.events(e -> Integer.valueOf(2).equals(e.key().get("id"))))
                    .extracting(e -> e.op().code()).containsExactly("c");
        }
    }
}
