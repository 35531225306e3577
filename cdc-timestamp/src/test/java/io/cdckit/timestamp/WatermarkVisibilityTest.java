package io.cdckit.timestamp;

import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the watermark's probe makes of the sessions it reads in {@code pg_stat_activity}: a session
 * still starting up is no transaction in flight, a session hidden from the reader is a reason to stop.
 */
@PostgresTest
class WatermarkVisibilityTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private TestDatabase db;
    private RunningSources sources;
    private TableId table;

    @BeforeEach
    void setUp(TestDatabase database) {
        db = database;
        sources = new RunningSources(database);
        table = new TableId("public", "visibility");
        db.execute("DROP TABLE IF EXISTS " + table.quoted(),
                "CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, note text, "
                        + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }

    @AfterEach
    void tearDown() {
        sources.close();
    }

    @Test
    void sessionsConnectingWhileTheSourcePollsDoNotStopIt() throws Exception {
        CapturedEvents captured = new CapturedEvents();
        ChangeSource source = sources.start(sources.config("connecting", Map.of(), table), OffsetStores.memory(),
                captured);
        // a backend shows up without a state between its start and its first statement; the source
        // polls every 20 ms, so some of these connections are caught in that window
        for (int i = 0; i < 150; i++) {
            try (Connection c = db.connect()) {
                assertThat(c.isValid(1)).isTrue();
            }
        }
        db.execute("INSERT INTO " + table.quoted() + " (id, note) VALUES (1, 'after the connections')");
        captured.awaitAtLeast(1, WAIT);
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
        assertThat(source.metrics().reconnects()).as("no poll failed on a session starting up").isZero();
        assertThat(RunningSources.opsAndIds(captured)).containsExactly("c:1");
    }

    @Test
    void aSessionHiddenFromTheReaderStopsTheSourceWithTheGrant() throws Exception {
        db.execute("DROP ROLE IF EXISTS ts_losing",
                "DROP ROLE IF EXISTS ts_other",
                "CREATE ROLE ts_losing LOGIN PASSWORD 'losing-secret' IN ROLE pg_read_all_stats",
                "CREATE ROLE ts_other LOGIN PASSWORD 'other-secret'",
                "GRANT SELECT ON " + table.quoted() + " TO ts_losing",
                "GRANT INSERT ON " + table.quoted() + " TO ts_other");
        CapturedEvents captured = new CapturedEvents();
        ChangeSource source = sources.start(sources.config("losing", Map.of(
                "cdc.jdbc.user", "ts_losing",
                "cdc.jdbc.password", "losing-secret",
                "cdc.timestamp.reconcile.every-polls", "0"), table), OffsetStores.memory(), captured);
        try (Connection other = DriverManager.getConnection(db.jdbcUrl(), "ts_other", "other-secret")) {
            other.setAutoCommit(false);
            try (Statement st = other.createStatement()) {
                // another role's transaction in flight: the watermark must wait for it
                st.executeUpdate("INSERT INTO " + table.quoted() + " (id, note) VALUES (1, 'not committed yet')");
                db.execute("INSERT INTO " + table.quoted() + " (id, note) VALUES (2, 'committed')");
                Thread.sleep(300);
                assertThat(captured.events()).as("nothing after the open transaction's start is final").isEmpty();
                assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);

                // the reader loses sight of it: the bound can no longer be trusted, so the source stops
                db.execute("REVOKE pg_read_all_stats FROM ts_losing");
                await().atMost(WAIT).until(() -> source.status().state() == SourceStatus.State.FAILED);
                assertThat(source.status().failure()).hasMessageContaining("GRANT pg_read_all_stats TO \"ts_losing\";")
                        .hasMessageNotContaining("losing-secret");
                assertThat(captured.events()).as("nothing was delivered past the hidden transaction").isEmpty();
            }
            other.rollback();
        }
    }
}
