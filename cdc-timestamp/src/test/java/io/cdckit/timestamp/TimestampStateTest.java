package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Dropping the keys seen of a retired timestamp source removes its tables and nothing else. */
@PostgresTest
class TimestampStateTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private TestDatabase db;
    private RunningSources sources;

    @BeforeEach
    void setUp(TestDatabase database) {
        db = database;
        sources = new RunningSources(database);
    }

    @AfterEach
    void tearDown() {
        sources.close();
    }

    private TableId table(String name) {
        TableId t = new TableId("public", name);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, note text, "
                + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        db.execute("INSERT INTO " + t.quoted() + " (id, note) VALUES (1, 'a'), (2, 'b')");
        return t;
    }

    private long keyTables(String source) {
        return db.queryForLong("SELECT count(*) FROM cdckit.timestamp_key_tables r "
                + "JOIN pg_class c ON c.relname = r.key_table JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "AND n.nspname = 'cdckit' WHERE r.source_name = '" + source + "'");
    }

    private void runOnce(CdcConfig config) {
        CapturedEvents captured = new CapturedEvents();
        ChangeSource source = sources.start(config, OffsetStores.memory(), captured);
        captured.awaitAtLeast(2, WAIT);
        source.close();
    }

    @Test
    void dropRemovesTheKeysSeenOfOneSourceOnly() {
        TableId a = table("state_a");
        TableId b = table("state_b");
        CdcConfig retired = sources.config("retired", Map.of("cdc.snapshot.mode", "initial"), a, b);
        CdcConfig kept = sources.config("kept", Map.of("cdc.snapshot.mode", "initial"), a);
        runOnce(retired);
        runOnce(kept);
        assertThat(keyTables("retired")).isEqualTo(2);
        assertThat(keyTables("kept")).isEqualTo(1);

        // the retired source captured b before it was dropped from its tables: its keys go too
        CdcConfig retiredNow = sources.config("retired", Map.of("cdc.snapshot.mode", "initial"), a);
        assertThat(TimestampState.drop(retiredNow)).containsExactlyInAnyOrder(a, b);
        assertThat(keyTables("retired")).isZero();
        assertThat(db.queryForLong("SELECT count(*) FROM cdckit.timestamp_key_tables WHERE source_name = 'retired'"))
                .isZero();
        assertThat(keyTables("kept")).isOne();
        assertThat(TimestampState.drop(retiredNow)).as("a second drop finds nothing").isEmpty();
    }

    @Test
    void dropRefusesWhileTheSourceRunsAndFindsNothingInAnUnusedSchema() {
        TableId t = table("state_running");
        CdcConfig config = sources.config("running", Map.of("cdc.snapshot.mode", "initial"), t);
        CapturedEvents captured = new CapturedEvents();
        ChangeSource running = sources.start(config, OffsetStores.memory(), captured);
        captured.awaitAtLeast(2, WAIT);
        assertThatThrownBy(() -> TimestampState.drop(config)).isInstanceOf(CdcException.class)
                .hasMessageContaining("'running' is running");
        assertThat(keyTables("running")).isOne();
        running.close();
        assertThat(TimestampState.drop(config)).containsExactly(t);

        CdcConfig elsewhere = sources.config("running",
                Map.of("cdc.snapshot.mode", "initial", "cdc.timestamp.state-schema", "no_state_here"), t);
        assertThat(TimestampState.drop(elsewhere)).isEmpty();
    }

    @Test
    void oneInstanceOfASourceNameRunsAtATime() {
        TableId t = table("state_twice");
        CdcConfig config = sources.config("twice", Map.of("cdc.snapshot.mode", "initial"), t);
        CapturedEvents captured = new CapturedEvents();
        sources.start(config, OffsetStores.memory(), captured);
        captured.awaitAtLeast(2, WAIT);
        assertThatThrownBy(() -> sources.start(config, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("'twice' is already running");
    }

    @Test
    void twoNamesWhose32BitHashesCollideRunSideBySide() {
        // two source names whose lock names share a 32-bit hashtext (among 300 000 names about ten
        // pairs do): keyed by that hash, the second would be refused as "already running"
        String pair = db.queryForString("""
                WITH n AS (SELECT 's' || g AS name, pg_catalog.hashtext('cdckit:timestamp:cdckit:s' || g) AS h
                           FROM pg_catalog.generate_series(1, 300000) g)
                SELECT a.name || ' ' || b.name FROM n a JOIN n b ON a.h = b.h AND a.name < b.name
                ORDER BY a.name, b.name LIMIT 1""");
        String[] names = pair.split(" ");
        assertThat(TimestampState.lockName("cdckit", names[0])).isEqualTo("cdckit:timestamp:cdckit:" + names[0]);

        TableId t = table("state_hash");
        CapturedEvents first = new CapturedEvents();
        CapturedEvents second = new CapturedEvents();
        sources.start(sources.config(names[0], Map.of("cdc.snapshot.mode", "initial"), t), OffsetStores.memory(), first);
        sources.start(sources.config(names[1], Map.of("cdc.snapshot.mode", "initial"), t), OffsetStores.memory(), second);
        first.awaitAtLeast(2, WAIT);
        second.awaitAtLeast(2, WAIT);
    }
}
