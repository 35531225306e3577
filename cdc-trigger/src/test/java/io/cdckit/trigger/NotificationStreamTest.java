package io.cdckit.trigger;

import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader waiting for notifications wakes while notifications keep streaming in, as they do
 * under busy writers (pgjdbc's wait for notifications alone returns only after a pause in them).
 * The poll interval is an hour, so only a wake-up can deliver the changes within the second allowed.
 */
@PostgresTest
class NotificationStreamTest {

    @Test
    void changesArriveWhileNotificationsStream(TestDatabase db) throws Exception {
        TableId t = new TableId("public", "notify_stream");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> streamFailure = new AtomicReference<>();
        Thread stream = new Thread(() -> {
            try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT pg_notify('cdckit', '')")) {
                while (!stop.get()) {
                    ps.execute();
                    sent.incrementAndGet();
                }
            } catch (SQLException | RuntimeException e) {
                streamFailure.set(e);
            }
        }, "notification-stream");
        try (TriggerTestSources sources = new TriggerTestSources(db)) {
            CapturedEvents captured = new CapturedEvents();
            ChangeSource source = sources.start(sources.config("stream", "row", Map.of("cdc.poll.interval", "1h"), t),
                    OffsetStores.memory(), captured);
            stream.start();
            for (int i = 1; i <= 4; i++) {
                Thread.sleep(1200);
                long before = sent.get();
                db.execute("INSERT INTO " + t.quoted() + " VALUES (" + i + ", 'x')");
                captured.awaitAtLeast(i, Duration.ofSeconds(1));
                assertThat(sent.get()).as("notifications kept streaming while change %d was delivered", i)
                        .isGreaterThan(before);
            }
            assertThat(streamFailure.get()).isNull();
            source.close();
        } finally {
            stop.set(true);
            stream.join(10_000);
        }
    }
}
