package io.cdckit.timestamp;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The case that breaks naive timestamp polling: a transaction that started long ago commits after
 * later ones, so its rows carry timestamps older than rows already visible.
 */
@PostgresTest
class LateCommitTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private RunningSources sources;

    @AfterEach
    void close() {
        if (sources != null) {
            sources.close();
        }
    }

    @Test
    void rowsOfALongTransactionThatCommitsLateWithAnOlderTimestampAreDelivered(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "late_insert");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, note text,"
                + " updated_at timestamptz NOT NULL DEFAULT now())");
        db.execute("INSERT INTO " + t.quoted() + " (id, note) VALUES (100, 'updated by the long transaction')");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("late", Map.of(), t), OffsetStores.memory(), captured);

        try (Connection longTx = db.connect()) {
            longTx.setAutoCommit(false);
            try (Statement st = longTx.createStatement()) {
                // the transaction starts (now() is fixed here) but writes nothing yet
                st.execute("SELECT now()");
                for (int i = 1; i <= 5; i++) {
                    db.execute("INSERT INTO " + t.quoted() + " (id, note) VALUES (" + i + ", 'quick')");
                }
                Thread.sleep(300);
                st.executeUpdate("INSERT INTO " + t.quoted() + " (id, note) VALUES (0, 'late')");
                st.executeUpdate("UPDATE " + t.quoted() + " SET note = 'late update', updated_at = now() WHERE id = 100");
            }
            longTx.commit();
        }
        Instant lateTs = Instant.parse(db.queryForString("SELECT to_char(updated_at AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM " + t.quoted() + " WHERE id = 0"));
        Instant quickTs = Instant.parse(db.queryForString("SELECT to_char(min(updated_at) AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM " + t.quoted() + " WHERE id BETWEEN 1 AND 5"));
        assertThat(lateTs).as("the late rows are older than rows committed before them").isBefore(quickTs);

        captured.awaitAtLeast(7, WAIT);
        Thread.sleep(300);
        List<ChangeEvent> events = captured.events();
        assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("id"))
                .containsExactlyInAnyOrder("c:0", "u:100", "c:1", "c:2", "c:3", "c:4", "c:5");
        assertThat(events.stream().filter(e -> e.key().get("id").equals(100)).findFirst().orElseThrow().after())
                .containsEntry("note", "late update");
        for (ChangeEvent e : events) {
            assertThat(e.before()).isNull();
            assertThat(e.source().connector()).isEqualTo("timestamp");
            assertThat(e.source().xmin()).isNotNull();
        }
    }

    @Test
    void anIdleTransactionWithoutWritesHoldsTheWatermarkAtItsStart(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "late_hold");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now())");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("hold", Map.of(), t), OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (1)");
        captured.awaitAtLeast(1, WAIT);

        try (Connection idle = db.connect()) {
            idle.setAutoCommit(false);
            try (Statement st = idle.createStatement()) {
                st.execute("SELECT 1");
            }
            db.execute("INSERT INTO " + t.quoted() + " (id) VALUES (2)");
            Thread.sleep(500);
            assertThat(captured.events()).as("row 2 is newer than the open transaction's start: held back")
                    .hasSize(1);
            idle.rollback();
        }
        captured.awaitAtLeast(2, WAIT);
        assertThat(captured.events()).extracting(e -> e.key().get("id")).containsExactly(1, 2);
    }
}
