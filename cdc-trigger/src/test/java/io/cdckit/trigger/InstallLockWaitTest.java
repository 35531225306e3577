package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Installing capture on a table that a long transaction holds: writers that come later queue
 * behind the waiting {@code CREATE TRIGGER}, so the install waits only {@code cdc.ddl.lock-timeout}
 * per attempt, and fails naming the holder after {@code cdc.ddl.lock-attempts}.
 */
@PostgresTest
class InstallLockWaitTest {

    private TestDatabase db;
    private TriggerTestSources sources;
    private static final AtomicInteger RUN = new AtomicInteger();
    private TableId table;
    private String schema;

    @BeforeEach
    void setUp(TestDatabase database) {
        db = database;
        sources = new TriggerTestSources(database);
        int n = RUN.incrementAndGet();
        table = new TableId("public", "lock_wait_" + n);
        schema = "cdc_lockwait_" + n;
        db.execute("CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, v text)");
    }

    @AfterEach
    void tearDown() {
        sources.close();
    }

    private CdcConfig config(String timeout, int attempts) {
        return sources.config("lockwait", "statement", Map.of("cdc.trigger.schema", schema,
                "cdc.ddl.lock-timeout", timeout, "cdc.ddl.lock-attempts", String.valueOf(attempts)), table);
    }

    /** A connection with an open transaction that wrote to the table: it holds the table until it ends. */
    private Connection openWriter(int id) throws SQLException {
        Connection c = db.connect();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO " + table.quoted() + " VALUES (" + id + ", 'held')");
        }
        return c;
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private long waitingLockRequests() {
        return db.queryForLong("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '"
                + table.quoted() + "'::regclass");
    }

    private long captureTriggers() {
        return db.queryForLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + table.quoted()
                + "'::regclass AND NOT tgisinternal");
    }

    @Test
    void anInstallBlockedByALongTransactionGivesUpWithoutHoldingWritersAndNamesTheHolder() throws Exception {
        CdcConfig config = config("400ms", 2);
        assertThat(TriggerInstallation.installScript(config)).contains("SET LOCAL lock_timeout = '400ms'");
        try (Connection holder = openWriter(1)) {
            int holderPid = pid(holder);
            CompletableFuture<Void> install = CompletableFuture.runAsync(() -> TriggerInstallation.install(config));
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingLockRequests() > 0);

            // a writer that comes while the install waits queues behind it, but not for long
            try (Connection writer = db.connect(); Statement st = writer.createStatement()) {
                st.execute("SET statement_timeout = '5s'");
                st.execute("INSERT INTO " + table.quoted() + " VALUES (2, 'later writer')");
            }

            assertThatThrownBy(() -> install.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(CdcException.class)
                    .hasMessageContaining("install trigger capture")
                    .hasMessageContaining("pid " + holderPid)
                    .hasMessageContaining("idle in transaction")
                    .hasMessageContaining("RowExclusiveLock")
                    .hasMessageContaining("2 attempt(s)")
                    .hasMessageContaining("given up after 400 ms")
                    .hasMessageContaining("cdc.ddl.lock-timeout");
            assertThat(captureTriggers()).as("a failed install leaves nothing half done").isZero();
            assertThat(db.queryForLong("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema + "'")).isZero();
            holder.commit();
        }
        TriggerInstallation.install(config);
        assertThat(captureTriggers()).isPositive();
    }

    @Test
    void anInstallTriesAgainAndSucceedsOnceTheTableIsFree() throws Exception {
        CdcConfig config = config("200ms", 5);
        CompletableFuture<Void> install;
        try (Connection holder = openWriter(1)) {
            install = CompletableFuture.runAsync(() -> TriggerInstallation.install(config));
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingLockRequests() > 0);
            // the first attempt times out and the install pauses before the next
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingLockRequests() == 0);
            assertThat(install).isNotDone();
            holder.commit();
        }
        install.get(30, TimeUnit.SECONDS);
        assertThat(captureTriggers()).isPositive();
        assertThat(db.queryForLong("SELECT count(*) FROM " + table.quoted())).isEqualTo(1);
    }

    @Test
    void uninstallWaitsTheSameWay() throws Exception {
        CdcConfig config = config("300ms", 1);
        TriggerInstallation.install(config);
        try (Connection holder = openWriter(1)) {
            assertThatThrownBy(() -> TriggerInstallation.uninstall(config))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining("remove trigger capture")
                    .hasMessageContaining("pid " + pid(holder));
            assertThat(captureTriggers()).isPositive();
            holder.rollback();
        }
        TriggerInstallation.uninstall(config);
        assertThat(captureTriggers()).isZero();
    }

    @Test
    void anInstallCancelledToBreakADeadlockWithAWriterTriesAgain() throws Exception {
        TableId second = new TableId("public", table.table() + "_b");
        db.execute("CREATE TABLE " + second.quoted() + " (id int PRIMARY KEY, v text)");
        // the install locks the tables in this order, lock-timeout above deadlock_timeout (1 s)
        CdcConfig config = sources.config("lockwait", "statement", Map.of("cdc.trigger.schema", schema,
                "cdc.ddl.lock-timeout", "10s", "cdc.ddl.lock-attempts", "3"), table, second);
        try (Connection writer = db.connect()) {
            writer.setAutoCommit(false);
            try (Statement st = writer.createStatement()) {
                st.execute("INSERT INTO " + second.quoted() + " VALUES (1, 'holds the second table')");
            }
            CompletableFuture<Void> install = CompletableFuture.runAsync(() -> TriggerInstallation.install(config));
            // the install holds the first table and waits for the second
            await().atMost(Duration.ofSeconds(10)).until(() -> db.queryForLong(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '" + second.quoted() + "'::regclass") > 0);
            // the writer now wants the first table: a lock cycle, which the server breaks by cancelling the install
            try (Statement st = writer.createStatement()) {
                st.execute("INSERT INTO " + table.quoted() + " VALUES (1, 'closes the cycle')");
            }
            writer.commit();
            install.get(30, TimeUnit.SECONDS);
        }
        assertThat(db.queryForLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + second.quoted()
                + "'::regclass AND NOT tgisinternal")).isPositive();
        assertThat(captureTriggers()).isPositive();
    }
}
