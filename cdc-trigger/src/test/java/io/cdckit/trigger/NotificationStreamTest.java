package io.cdckit.trigger;

import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the trigger reader is woken. The poll interval is an hour in these tests, so only a
 * wake-up can deliver the changes within the seconds allowed.
 */
@PostgresTest
class NotificationStreamTest {

    /**
     * A transaction that writes while the reader is busy sends no NOTIFY (the reader holds its
     * reading lock); when it commits after the reader went idle, nothing else wakes the reader,
     * yet it is delivered soon, far within the hour-long poll interval, and later writers still
     * wake the reader.
     */
    @ParameterizedTest
    @ValueSource(strings = {"row", "statement"})
    void aTransactionThatWroteWhileTheReaderWasBusyIsDeliveredSoon(String flavour, TestDatabase db) throws Exception {
        TableId t = new TableId("public", "busy_" + flavour);
        // the first change goes to another table, whose committing writer may still hold that
        // table's lock for a moment when the reader takes its locks; t's is then surely taken
        TableId first = new TableId("public", "busy_first_" + flavour);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)",
                "CREATE TABLE " + first.quoted() + " (id int PRIMARY KEY, v text)");
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CapturedEvents captured = new CapturedEvents();
        try (TriggerTestSources sources = new TriggerTestSources(db);
             Connection late = db.connect()) {
            sources.start(sources.config("busy-" + flavour, flavour, Map.of("cdc.poll.interval", "1h"), first, t),
                    OffsetStores.memory(), events -> {
                        captured.handle(events);
                        inHandler.countDown();
                        release.await();
                    });
            db.execute("INSERT INTO " + first.quoted() + " VALUES (1, 'first')");
            assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
            late.setAutoCommit(false);
            try (Statement st = late.createStatement()) {
                st.executeUpdate("INSERT INTO " + t.quoted() + " VALUES (2, 'written while the reader was busy')");
            }
            release.countDown();
            Thread.sleep(300); // the reader goes idle while the transaction is still open
            late.commit();
            captured.awaitAtLeast(2, Duration.ofSeconds(5));
            db.execute("INSERT INTO " + t.quoted() + " VALUES (3, 'after')");
            captured.awaitAtLeast(3, Duration.ofSeconds(5));
            assertThat(captured.events()).extracting(e -> e.key().get("id")).containsExactly(1, 2, 3);
        }
    }

    /**
     * While a capturing transaction stays open, the reader keeps looking for transactions that
     * may have skipped their NOTIFY at most every poll interval, for as long as it stays open,
     * without failing or reconnecting; its changes arrive when it commits.
     */
    @Test
    void aLongOpenCapturingTransactionNeitherStallsNorUpsetsTheReader(TestDatabase db) throws Exception {
        TableId t = new TableId("public", "long_open");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)");
        CapturedEvents captured = new CapturedEvents();
        try (TriggerTestSources sources = new TriggerTestSources(db);
             Connection open = db.connect()) {
            ChangeSource source = sources.start(sources.config("long-open", "statement",
                    Map.of("cdc.poll.interval", "10ms"), t), OffsetStores.memory(), captured);
            open.setAutoCommit(false);
            try (Statement st = open.createStatement()) {
                st.executeUpdate("INSERT INTO " + t.quoted() + " VALUES (1, 'held open')");
            }
            db.execute("INSERT INTO " + t.quoted() + " VALUES (2, 'committed meanwhile')");
            captured.awaitAtLeast(1, Duration.ofSeconds(5));
            Thread.sleep(2000); // hundreds of polls while the transaction is open
            open.commit();
            captured.awaitAtLeast(2, Duration.ofSeconds(5));
            assertThat(captured.events()).extracting(e -> e.key().get("id")).containsExactly(2, 1);
            assertThat(source.metrics().reconnects()).isZero();
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
        }
    }

    /**
     * A reader waiting for notifications wakes while another session keeps the channel busy with
     * notifications of its own. (The stall this guards against, pgjdbc's wait returning only after
     * a pause in the stream, shows reliably only under paced commits; the latency benchmark
     * measures that.)
     */
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
