package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * With {@code cdc.timestamp.install-trigger=true}, a start takes no table lock when the trigger is
 * in place, and waits for a table held by a long transaction only {@code cdc.ddl.lock-timeout}.
 */
@PostgresTest
class InstallTriggerLockTest {

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
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, note text, updated_at timestamptz)");
        return t;
    }

    private CdcConfig config(String name, TableId t) {
        return sources.config(name, Map.of("cdc.timestamp.install-trigger", "true", "cdc.ddl.lock-timeout", "300ms",
                "cdc.ddl.lock-attempts", "1"), t);
    }

    /** An open transaction that wrote to {@code t}: it holds the table until it ends. */
    private Connection holder(TableId t) throws SQLException {
        Connection c = db.connect();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO " + t.quoted() + " (id, note) VALUES (1000, 'held')");
        }
        return c;
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void aRestartWithTheTriggerInPlaceTakesNoTableLock() throws Exception {
        TableId t = table("ts_restart");
        sources.start(config("restart", t), OffsetStores.memory(), batch -> { }).close();
        assertThat(db.queryForLong("SELECT count(*) FROM pg_trigger WHERE tgname = 'cdckit_timestamp' "
                + "AND tgrelid = 'ts_restart'::regclass")).isOne();
        try (Connection holder = holder(t)) {
            // before, every start replaced the trigger and so waited for the holder, and writers queued behind it
            ChangeSource again = CompletableFuture.supplyAsync(
                    () -> sources.start(config("restart", t), OffsetStores.memory(), batch -> { }))
                    .get(30, TimeUnit.SECONDS);
            again.close();
            holder.rollback();
        }
    }

    @Test
    void aTableHeldByALongTransactionFailsTheInstallNamingTheHolder() throws Exception {
        TableId t = table("ts_held");
        try (Connection holder = holder(t)) {
            assertThatThrownBy(() -> sources.start(config("held", t), OffsetStores.memory(), batch -> { }))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining("install trigger cdckit_timestamp on public.ts_held")
                    .hasMessageContaining("pid " + pid(holder))
                    .hasMessageContaining("cdc.ddl.lock-timeout");
            holder.rollback();
        }
        assertThat(db.queryForLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ts_held'::regclass "
                + "AND NOT tgisinternal")).isZero();
        sources.start(config("held", t), OffsetStores.memory(), batch -> { }).close();
        assertThat(db.queryForLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ts_held'::regclass "
                + "AND NOT tgisinternal")).isOne();
    }
}
