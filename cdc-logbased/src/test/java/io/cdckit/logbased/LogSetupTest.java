package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStores;
import io.cdckit.testkit.LocalPostgresCluster;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each setup problem stops the start with an error that names the fix. */
@PostgresTest
class LogSetupTest {

    private static CdcConfig config(Map<String, String> connection, String name, String tables) {
        return CdcConfig.builder().putAll(connection).set("cdc.mode", "log").set("cdc.log.engine", TestEngine.NAME).name(name).tables(tables).build();
    }

    private static void assertStartFails(CdcConfig config, String... fragments) {
        ChangeSource source = ChangeSources.builder(config).offsetStore(OffsetStores.memory()).build();
        try {
            assertThatThrownBy(() -> source.start(batch -> { }))
                    .isInstanceOf(CdcException.class)
                    .satisfies(e -> assertThat(e.getMessage()).contains(fragments));
        } finally {
            source.close();
        }
    }

    @Test
    void serverWithoutLogicalWalIsRejectedNamingTheSetting() {
        try (LocalPostgresCluster cluster = LocalPostgresCluster.start(Map.of("wal_level", "replica"))) {
            Map<String, String> connection = Map.of("cdc.jdbc.url", cluster.jdbcUrl("postgres"),
                    "cdc.jdbc.user", cluster.adminUser(), "cdc.jdbc.password", cluster.adminPassword());
            assertStartFails(config(connection, "replica", "public.anything"),
                    "wal_level=replica", "ALTER SYSTEM SET wal_level = logical", "restart");
        }
    }

    @Test
    void userWithoutReplicationPrivilegeIsRejectedNamingTheGrant(TestDatabase db) {
        db.execute("CREATE TABLE norepl (id int PRIMARY KEY)",
                "DROP ROLE IF EXISTS " + db.name() + "_norepl",
                "CREATE ROLE " + db.name() + "_norepl LOGIN PASSWORD 'secret-pw'",
                "GRANT SELECT ON norepl TO " + db.name() + "_norepl");
        Map<String, String> connection = Map.of("cdc.jdbc.url", db.jdbcUrl(),
                "cdc.jdbc.user", db.name() + "_norepl", "cdc.jdbc.password", "secret-pw");
        assertStartFails(config(connection, "norepl", "public.norepl"),
                "lacks the REPLICATION privilege", "ALTER ROLE \"" + db.name() + "_norepl\" WITH REPLICATION");
    }

    @Test
    void userWithoutSelectIsRejectedNamingTheGrant(TestDatabase db) {
        db.execute("CREATE TABLE nosel (id int PRIMARY KEY)",
                "DROP ROLE IF EXISTS " + db.name() + "_nosel",
                "CREATE ROLE " + db.name() + "_nosel LOGIN REPLICATION PASSWORD 'secret-pw'");
        Map<String, String> connection = Map.of("cdc.jdbc.url", db.jdbcUrl(),
                "cdc.jdbc.user", db.name() + "_nosel", "cdc.jdbc.password", "secret-pw");
        assertStartFails(config(connection, "nosel", "public.nosel"), "lacks SELECT", "GRANT SELECT");
    }

    @Test
    void missingTableIsRejected(TestDatabase db) {
        assertStartFails(config(db.cdcProperties(), "missing", "public.no_such_table"),
                "does not exist");
    }

    @Test
    void tableNameEndingInQuoteIsRejectedBeforeDebeziumWouldStopOnIt(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE \"Order \"\"Lines\"\"\" (id int PRIMARY KEY)");
        CdcConfig config = config(db.cdcProperties(), "quoted", "public.\"Order \"\"Lines\"\"\"");
        if (!TestEngine.pgoutput()) {
            assertStartFails(config, "start or end with a double quote", "cdc.mode=trigger");
            return;
        }
        // the native engine reads such names: the change arrives
        java.util.List<io.cdckit.api.ChangeEvent> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ChangeSource source = ChangeSources.create(config)) {
            source.start(received::addAll);
            db.execute("INSERT INTO \"Order \"\"Lines\"\"\" (id) VALUES (1)");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> received.size() == 1);
            assertThat(received.get(0).table().table()).isEqualTo("Order \"Lines\"");
        }
    }

    @Test
    void invalidSlotNameIsRejectedByTheConfig(TestDatabase db) {
        assertThatThrownBy(() -> CdcConfig.builder().putAll(db.cdcProperties()).set("cdc.mode", "log")
                .set("cdc.log.slot", "Bad-Slot").tables("public.t").build())
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.log.slot");
    }

    @Test
    void aTableHeldByALongTransactionFailsTheStartNamingTheHolderInsteadOfStallingWriters(TestDatabase db)
            throws SQLException {
        db.execute("CREATE TABLE held (id int PRIMARY KEY)");
        try (Connection holder = db.connect()) {
            holder.setAutoCommit(false);
            int pid;
            try (Statement st = holder.createStatement()) {
                st.execute("INSERT INTO held VALUES (1)");
                try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    pid = rs.getInt(1);
                }
            }
            CdcConfig config = CdcConfig.builder().putAll(db.cdcProperties()).set("cdc.mode", "log").set("cdc.log.engine", TestEngine.NAME).name("held")
                    .tables("public.held").set("cdc.ddl.lock-timeout", "300ms").set("cdc.ddl.lock-attempts", "1")
                    .build();
            assertStartFails(config, "set REPLICA IDENTITY FULL on public.held", "pid " + pid,
                    "RowExclusiveLock", "cdc.ddl.lock-timeout");
            holder.rollback();
        }
        assertThat(db.queryForLong("SELECT count(*) FROM pg_class WHERE oid = 'held'::regclass AND relreplident = 'f'"))
                .as("the table is left as it was").isZero();
    }
}
