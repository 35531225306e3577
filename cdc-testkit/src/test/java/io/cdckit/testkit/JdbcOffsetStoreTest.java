package io.cdckit.testkit;

import io.cdckit.api.CdcException;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Position;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JDBC offset store against a real PostgreSQL (it lives in cdc-api, which has no fixture). */
@PostgresTest
class JdbcOffsetStoreTest {

    private static Position position(long lsn, String marker) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lsn", lsn);
        m.put("marker", marker);
        m.put("snapshot", false);
        m.put("none", null);
        return new Position(m);
    }

    @Test
    void createsItsTableAndRoundTripsPositionsPerSource(TestDatabase db) {
        try (OffsetStore store = OffsetStores.jdbc(db.jdbcUrl(), db.user(), db.password(), "Off Sets", "pos \"v1\"")) {
            assertThat(store.load("a")).isEmpty();
            store.save("a", position(Long.MAX_VALUE, "ünï 'q'"));
            store.save("b", position(1, "b"));
            store.save("a", position(42, "second"));
            assertThat(store.load("a")).contains(position(42, "second"));
            assertThat(store.load("b")).contains(position(1, "b"));
        }
        try (OffsetStore reopened = OffsetStores.jdbc(db.jdbcUrl(), db.user(), db.password(), "Off Sets",
                "pos \"v1\"")) {
            assertThat(reopened.load("a")).contains(position(42, "second"));
        }
        assertThat(db.queryForLong("SELECT count(*) FROM \"Off Sets\".\"pos \"\"v1\"\"\"")).isEqualTo(2);
    }

    @Test
    void reconnectsAfterItsConnectionIsTerminated(TestDatabase db) {
        try (OffsetStore store = OffsetStores.jdbc(db.jdbcUrl(), db.user(), db.password(), "cdckit", "offsets_kill")) {
            store.save("s", position(1, "x"));
            db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND query ILIKE '%offsets_kill%'");
            store.save("s", position(2, "y"));
            assertThat(store.load("s")).contains(position(2, "y"));
        }
    }

    @Test
    void leastPrivilegedRoleWorksWithAPreCreatedTableAndGetsTheGrantOtherwise(TestDatabase db) {
        String secret = "pw-" + System.nanoTime();
        db.execute("DROP ROLE IF EXISTS offsets_app", "CREATE ROLE offsets_app LOGIN PASSWORD '" + secret + "'");
        try (OffsetStore store = OffsetStores.jdbc(db.jdbcUrl(), "offsets_app", secret, "app_offsets", "pos")) {
            assertThatThrownBy(() -> store.save("s", position(1, "x")))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining("GRANT")
                    .hasMessageContaining("CREATE TABLE")
                    .satisfies(e -> assertThat(e.toString()).doesNotContain(secret));
        }
        db.execute("CREATE SCHEMA app_offsets",
                "CREATE TABLE app_offsets.pos (source_name text PRIMARY KEY, position jsonb NOT NULL,"
                        + " updated_at timestamptz NOT NULL DEFAULT now())",
                "GRANT USAGE ON SCHEMA app_offsets TO offsets_app",
                "GRANT SELECT, INSERT, UPDATE ON app_offsets.pos TO offsets_app");
        try (OffsetStore store = OffsetStores.jdbc(db.jdbcUrl(), "offsets_app", secret, "app_offsets", "pos")) {
            store.save("s", position(7, "ok"));
            assertThat(store.load("s")).contains(position(7, "ok"));
            assertThat(store.toString()).doesNotContain(secret);
        }
    }

    @Test
    void wrongPasswordFailsWithoutShowingIt(TestDatabase db) {
        String wrong = "definitely-wrong-" + System.nanoTime();
        try (OffsetStore store = OffsetStores.jdbc(db.jdbcUrl(), db.user(), wrong, "cdckit", "offsets")) {
            assertThatThrownBy(() -> store.load("s")).isInstanceOf(CdcException.class)
                    .satisfies(e -> {
                        assertThat(e.getMessage()).doesNotContain(wrong);
                        Throwable c = e;
                        while (c != null) {
                            assertThat(String.valueOf(c.getMessage())).doesNotContain(wrong);
                            c = c.getCause();
                        }
                    });
        }
    }
}
