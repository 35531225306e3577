package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Install, reinstall, upgrade paths, the printed script, uninstall and the clear errors around them. */
@PostgresTest
class InstallationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Every object of the database outside the system schemas, and every trigger, by name. */
    private static final String CATALOG = """
            SELECT 'rel ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
            UNION ALL SELECT 'fn ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
            UNION ALL SELECT 'trigger ' || tgrelid::regclass || '.' || tgname FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
            ORDER BY 1""";

    private TestDatabase db;
    private TriggerTestSources sources;

    @BeforeEach
    void setUp(TestDatabase database) {
        db = database;
        sources = new TriggerTestSources(database);
    }

    @AfterEach
    void tearDown() {
        sources.close();
    }

    private TableId table(String name) {
        TableId t = new TableId("public", name);
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)");
        return t;
    }

    private List<String> catalog() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(CATALOG)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Test
    void installingTwiceChangesNothingAndUninstallLeavesNothingBehind() throws SQLException {
        TableId a = table("inst_a");
        TableId b = table("inst_b");
        CdcConfig config = sources.config("inst", "statement", Map.of("cdc.trigger.schema", "cdc_inst"), a, b);
        List<String> before = catalog();

        TriggerInstallation.install(config);
        List<String> once = catalog();
        assertThat(once).contains("schema cdc_inst", "rel cdc_inst.change_log", "fn cdc_inst.audit_changes",
                "trigger inst_a.cdc_inst_insert", "trigger inst_b.cdc_inst_truncate");
        TriggerInstallation.install(config);
        assertThat(catalog()).as("a second install changes nothing").isEqualTo(once);
        assertThat(db.queryForLong("SELECT version FROM cdc_inst.installation")).isEqualTo(InstallScript.VERSION);

        // switching the flavour replaces the triggers
        TriggerInstallation.install(sources.config("inst", "row", Map.of("cdc.trigger.schema", "cdc_inst"), a, b));
        assertThat(catalog()).contains("trigger inst_a.cdc_inst_row", "trigger inst_a.cdc_inst_notify")
                .doesNotContain("trigger inst_a.cdc_inst_insert");

        TriggerInstallation.uninstall(config);
        assertThat(catalog()).as("uninstall removes exactly what was installed").isEqualTo(before);
        TriggerInstallation.uninstall(config);
        assertThat(catalog()).as("a second uninstall does nothing").isEqualTo(before);
    }

    @Test
    void uninstallKeepsASchemaTheInstallDidNotCreate() throws SQLException {
        TableId t = table("keep_schema");
        db.execute("CREATE SCHEMA ops", "CREATE TABLE ops.other (id int)");
        CdcConfig config = sources.config("keep", "row", Map.of("cdc.trigger.schema", "ops"), t);
        List<String> before = catalog();
        TriggerInstallation.install(config);
        TriggerInstallation.uninstall(config);
        assertThat(catalog()).isEqualTo(before);
    }

    @Test
    void thePrintedScriptIsWhatASourceWithoutInstallNeeds() throws SQLException {
        TableId t = table("printed");
        CdcConfig config = sources.config("printed", "statement",
                Map.of("cdc.trigger.install", "false", "cdc.trigger.schema", "cdc_printed"), t);

        assertThatThrownBy(() -> sources.start(config, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("not installed in schema cdc_printed")
                .hasMessageContaining("TriggerInstallation.installScript(config)");

        String script = TriggerInstallation.installScript(config);
        assertThat(script).startsWith("-- cdckit trigger capture").contains("BEGIN;").endsWith("COMMIT;\n");
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(script);
        }
        CapturedEvents captured = new CapturedEvents();
        sources.start(config, OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 'after the DBA ran the script')");
        assertThat(captured.awaitAtLeast(1, WAIT).get(0).after()).containsEntry("v", "after the DBA ran the script");
    }

    @Test
    void aTableHasOneConsumerPerLogAndOneRunningInstancePerName() {
        TableId t = table("one_consumer");
        sources.start(sources.config("first", "row", t), OffsetStores.memory(), new CapturedEvents());

        assertThatThrownBy(() -> sources.start(sources.config("second", "row", t), OffsetStores.memory(),
                new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("already captured by source \"first\"")
                .hasMessageContaining("cdc.trigger.schema");
        assertThatThrownBy(() -> sources.start(sources.config("first", "row", t), OffsetStores.memory(),
                new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("already running");

        // another log schema is an independent consumer of the same table
        CapturedEvents other = new CapturedEvents();
        sources.start(sources.config("second", "row", Map.of("cdc.trigger.schema", "cdc_second"), t),
                OffsetStores.memory(), other);
        db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 'both see it')");
        assertThat(other.awaitAtLeast(1, WAIT)).hasSize(1);
    }

    @Test
    void anInstanceStartingWhileTheLastOneStopsWaitsForItsSession() throws Exception {
        TableId t = table("handover");
        ChangeSource first = sources.start(sources.config("handover", "row", t), OffsetStores.memory(),
                new CapturedEvents());
        java.util.concurrent.CompletableFuture<ChangeSource> second = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> sources.start(sources.config("handover", "row", t), OffsetStores.memory(),
                        new CapturedEvents()));
        Thread.sleep(500);
        assertThat(second).as("waits while the first runs").isNotDone();
        first.close();
        ChangeSource running = second.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(running.status().state()).isEqualTo(io.cdckit.api.SourceStatus.State.RUNNING);
    }

    @Test
    void aRunTimeUserNeedsOnlySelectAndDeleteOnTheLogAndSelectOnTheTable() throws SQLException {
        TableId t = table("privileges");
        Map<String, String> props = Map.of("cdc.trigger.install", "false", "cdc.trigger.schema", "cdc_priv");
        TriggerInstallation.install(sources.config("priv", "row", props, t));
        db.execute("CREATE ROLE cdc_reader LOGIN PASSWORD 'reader-secret'",
                "GRANT USAGE ON SCHEMA cdc_priv TO cdc_reader",
                "GRANT SELECT ON cdc_priv.change_log, cdc_priv.consumer, cdc_priv.installation TO cdc_reader",
                "GRANT SELECT ON " + t.quoted() + " TO cdc_reader");
        CdcConfig asReader = sources.config("priv", "row", props, t).toBuilder()
                .jdbc(db.jdbcUrl(), "cdc_reader", "reader-secret").build();

        assertThatThrownBy(() -> sources.start(asReader, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("GRANT SELECT, DELETE ON \"cdc_priv\".change_log TO \"cdc_reader\";");

        db.execute("GRANT DELETE ON cdc_priv.change_log TO cdc_reader");
        CapturedEvents captured = new CapturedEvents();
        ChangeSource source = sources.start(asReader, OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 'read by a plain user')");
        assertThat(captured.awaitAtLeast(1, WAIT).get(0).after()).containsEntry("v", "read by a plain user");
        source.close();
        assertThat(db.queryForLong("SELECT count(*) FROM cdc_priv.change_log")).as("consumed and deleted").isZero();
    }

    @Test
    void installWithoutTriggerPrivilegeNamesTheGrant() {
        TableId t = table("no_trigger_priv");
        db.execute("CREATE ROLE cdc_installer LOGIN PASSWORD 'installer-secret'",
                "GRANT CREATE ON DATABASE " + db.name() + " TO cdc_installer");
        CdcConfig config = sources.config("noprivs", "row", Map.of("cdc.trigger.schema", "cdc_noprivs"), t).toBuilder()
                .jdbc(db.jdbcUrl(), "cdc_installer", "installer-secret").build();
        assertThatThrownBy(() -> ChangeSources.create(config).start(batch -> { }))
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("GRANT TRIGGER ON \"public\".\"no_trigger_priv\" TO \"cdc_installer\";");
    }
}
