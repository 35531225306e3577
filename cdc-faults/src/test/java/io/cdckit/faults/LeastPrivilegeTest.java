package io.cdckit.faults;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Each strategy at run time as a real least-privileged role holding only the GRANTs that
 * docs/reliability.md lists (never a superuser), on a table whose name has a space, double quotes
 * and unicode; the error when one GRANT is missing names it; bad input (tables without a key,
 * SQL in table names, a slot in use) fails clearly and executes nothing; the password shows up in
 * no message, {@code toString()} or log line.
 */
@PostgresTest
class LeastPrivilegeTest {

    private static final String PASSWORD = "Pw-s3cr3t-Ω-42";
    /**
     * A table name with a space, double quotes and unicode; quotes inside only, as Debezium cannot
     * parse names that start or end with one (see docs/log.md).
     */
    private static TableId table(String suffix) {
        return new TableId("public", "Kunden \"Δ\" " + suffix);
    }

    private TestDatabase db;
    private String role;
    private final List<ChangeSource> sources = new ArrayList<>();
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private PrintStream originalErr;
    private PrintStream originalOut;

    @BeforeEach
    void setUp(TestDatabase database) {
        this.db = database;
        originalErr = System.err;
        originalOut = System.out;
        PrintStream tee = new PrintStream(new TeeStream(logs, originalErr), true, StandardCharsets.UTF_8);
        System.setErr(tee);
        System.setOut(new PrintStream(new TeeStream(logs, originalOut), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        sources.forEach(ChangeSource::close);
        System.setErr(originalErr);
        System.setOut(originalOut);
        assertThat(logs.toString(StandardCharsets.UTF_8)).as("log output").doesNotContain(PASSWORD);
        if (role != null) {
            db.execute("DROP OWNED BY " + TableId.quote(role), "DROP ROLE " + TableId.quote(role));
        }
    }

    private void createRole(String name, String attributes, String... grants) {
        role = db.name() + "_" + name;
        db.execute("CREATE ROLE " + TableId.quote(role) + " LOGIN " + attributes + " PASSWORD '" + PASSWORD + "'");
        for (String g : grants) {
            db.execute(g.replace("{role}", TableId.quote(role)));
        }
    }

    private CdcConfig config(String user, Strategy strategy, String name, Map<String, String> extra,
                             TableId... tables) {
        Map<String, Object> p = new LinkedHashMap<>(db.cdcProperties());
        p.put("cdc.jdbc.user", user);
        p.put("cdc.jdbc.password", user.equals(db.user()) ? db.password() : PASSWORD);
        p.putAll(strategy.properties);
        p.put("cdc.name", name);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "50ms");
        p.putAll(extra);
        return CdcConfig.builder().putAll(p).tables(tables).build();
    }

    private ChangeSource source(CdcConfig config) {
        ChangeSource s = ChangeSources.builder(config).offsetStore(OffsetStores.memory()).build();
        sources.add(s);
        return s;
    }

    private void createTable(TableId t) {
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, \"Name ✓\" text,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }

    private void assertCaptures(ChangeSource source, TableId t) {
        CapturedEvents captured = new CapturedEvents();
        captured.watching(source);
        source.start(captured);
        db.execute("INSERT INTO " + t.quoted() + " (id, \"Name ✓\") VALUES (1, 'eins'), (2, 'zwei')",
                "UPDATE " + t.quoted() + " SET \"Name ✓\" = 'EINS', updated_at = clock_timestamp() WHERE id = 1");
        List<ChangeEvent> events = captured.awaitAtLeast(2, Duration.ofSeconds(60));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> captured.events().stream()
                .anyMatch(e -> e.op() != Op.DELETE && "EINS".equals(e.after().get("Name ✓"))));
        assertThat(events).allMatch(e -> e.table().equals(t));
        assertSecretHidden(source.toString());
    }

    private static void assertSecretHidden(String text) {
        assertThat(text).doesNotContain(PASSWORD);
    }

    // ---- least privilege, one role per strategy ----

    @Test
    void logRunsWithReplicationAndSelectOnly() {
        TableId t = table("log");
        createTable(t);
        // install time, as the owner: the publication and the replica identity
        db.execute("CREATE PUBLICATION lp_log_pub FOR TABLE " + t.quoted(),
                "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL");
        createRole("log", "REPLICATION", "GRANT SELECT ON " + t.quoted() + " TO {role}");
        String slot = db.name() + "_lp_log";
        CdcConfig config = config(role, Strategy.LOG, "lp_log", Map.of("cdc.log.publication", "lp_log_pub",
                "cdc.log.slot", slot, "cdc.log.heartbeat.interval", "200ms"), t);
        assertSecretHidden(config.toString());
        assertCaptures(source(config), t);

        // the heartbeat runs as this role too: with the captured table idle and another one busy, the slot advances
        db.execute("CREATE TABLE lp_log_other (id int)", "INSERT INTO lp_log_other SELECT generate_series(1, 1000)");
        String busyUpTo = db.queryForString("SELECT pg_current_wal_lsn()::text");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> db.queryForLong(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND confirmed_flush_lsn >= '"
                        + busyUpTo + "'::pg_lsn") == 1);
    }

    @Test
    void triggerRunsWithSelectOnTheTableAndTheLogOnly() {
        TableId t = table("trigger");
        createTable(t);
        // install time, as the owner
        CdcConfig install = config(db.user(), Strategy.TRIGGER_ROW, "lp_trigger", Map.of(), t);
        ChangeSource installer = source(install);
        installer.start(batch -> { });
        installer.close();
        createRole("trigger", "",
                "GRANT USAGE ON SCHEMA cdckit TO {role}",
                "GRANT SELECT, DELETE ON cdckit.change_log TO {role}",
                "GRANT SELECT ON cdckit.consumer, cdckit.installation TO {role}",
                "GRANT SELECT ON " + t.quoted() + " TO {role}");
        CdcConfig run = config(role, Strategy.TRIGGER_ROW, "lp_trigger", Map.of("cdc.trigger.install", "false"), t);
        assertCaptures(source(run), t);
    }

    @Test
    void timestampRunsWithSelectReadAllStatsAndCreateOnly() {
        TableId t = table("ts");
        createTable(t);
        createRole("ts", "", "GRANT SELECT ON " + t.quoted() + " TO {role}",
                "GRANT pg_read_all_stats TO {role}",
                "GRANT CREATE ON DATABASE " + TableId.quote(db.name()) + " TO {role}");
        CdcConfig run = config(role, Strategy.TIMESTAMP, "lp_ts", Map.of("cdc.timestamp.state-schema", "lp_ts_state"), t);
        assertCaptures(source(run), t);
    }

    // ---- a missing GRANT is named ----

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void missingSelectIsNamed(Strategy strategy) {
        String n = strategy.name().toLowerCase();
        TableId t = new TableId("public", "nosel_" + strategy.name().toLowerCase());
        createTable(t);
        if (strategy.trigger()) {
            ChangeSource installer = source(config(db.user(), strategy, "nosel_t" + n, Map.of(), t));
            installer.start(batch -> { });
            installer.close();
            createRole("nosel_t", "", "GRANT USAGE ON SCHEMA cdckit TO {role}",
                    "GRANT SELECT, DELETE ON cdckit.change_log TO {role}",
                    "GRANT SELECT ON cdckit.consumer, cdckit.installation TO {role}");
        } else {
            createRole("nosel", strategy.log() ? "REPLICATION" : "", "GRANT pg_read_all_stats TO {role}",
                    "GRANT CREATE ON DATABASE " + TableId.quote(db.name()) + " TO {role}");
        }
        CdcConfig config = config(role, strategy, strategy.trigger() ? "nosel_t" + n : "nosel_" + n,
                strategy.trigger() ? Map.of("cdc.trigger.install", "false") : Map.of(), t);
        CdcException e = catchThrowableOfType(CdcException.class, () -> source(config).start(batch -> { }));
        assertThat(e).as("start fails").isNotNull();
        assertThat(e.getMessage()).contains("GRANT SELECT").contains(t.table());
        assertSecretHidden(e.toString());
    }

    // ---- bad input ----

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void aUrlTheDriverRefusesIsNamedWithItsPasswordMasked(Strategy strategy) {
        TableId t = new TableId("public", "badurl_" + strategy.name().toLowerCase());
        CdcConfig config = config(db.user(), strategy, "badurl_" + strategy.name().toLowerCase(),
                Map.of("cdc.jdbc.url", "jdbc:postgresql://127.0.0.1:no-port/" + db.name() + "?password=" + PASSWORD), t);
        CdcException e = catchThrowableOfType(CdcException.class, () -> source(config).start(batch -> { }));
        assertThat(e).as("start fails").isNotNull();
        assertThat(e.getMessage()).contains("cdc.jdbc.url", "password=******");
        java.io.StringWriter trace = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(trace));
        assertSecretHidden(trace.toString());
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void unknownTableAndTableWithoutPrimaryKeyAreNamedWithTheFix(Strategy strategy) {
        String n = strategy.name().toLowerCase();
        TableId nokey = new TableId("public", "nokey_" + n);
        db.execute("CREATE TABLE " + nokey.quoted() + " (id int, updated_at timestamptz)");
        CdcException missing = catchThrowableOfType(CdcException.class, () -> source(config(db.user(), strategy,
                "missing_" + n, Map.of(), new TableId("public", "no_such_" + n))).start(batch -> { }));
        assertThat(missing).isNotNull();
        assertThat(missing.getMessage()).contains("no_such_" + n).contains("does not exist");
        CdcException noKey = catchThrowableOfType(CdcException.class, () -> source(config(db.user(), strategy,
                "nokey_" + n, Map.of(), nokey)).start(batch -> { }));
        assertThat(noKey).isNotNull();
        assertThat(noKey.getMessage()).contains("no primary key").contains("ADD PRIMARY KEY");
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void sqlInTableNamesIsRejectedOrTakenAsANameAndNothingIsExecuted(Strategy strategy) {
        String n = strategy.name().toLowerCase();
        db.execute("CREATE TABLE IF NOT EXISTS victim (id int PRIMARY KEY)");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(db.cdcProperties()).putAll(strategy.properties)
                .set("cdc.tables", "public.victim; DROP TABLE public.victim").build())
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.tables");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(db.cdcProperties()).putAll(strategy.properties)
                .set("cdc.tables", "public.victim') OR 1=1; --").build())
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.tables");
        // a quoted name holding SQL is just a name: it does not exist, and nothing else runs
        TableId sneaky = new TableId("public", "x\"; DROP TABLE victim; --" + n);
        CdcException e = catchThrowableOfType(CdcException.class, () -> source(config(db.user(), strategy,
                "sneaky_" + n, Map.of(), sneaky)).start(batch -> { }));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("does not exist");
        assertThat(db.queryForLong("SELECT count(*) FROM pg_class WHERE relname = 'victim'")).isEqualTo(1);
    }

    @Test
    void aSlotInUseByAnotherSourceIsRefusedClearly() {
        TableId t = new TableId("public", "slot_in_use");
        createTable(t);
        Map<String, String> slot = Map.of("cdc.log.slot", db.name() + "_busy");
        ChangeSource first = source(config(db.user(), Strategy.LOG, "busy_one", slot, t));
        first.start(batch -> { });
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> db.queryForLong(
                "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = '" + db.name() + "_busy'") == 1);
        ChangeSource second = source(config(db.user(), Strategy.LOG, "busy_two", slot, t));
        CdcException e = catchThrowableOfType(CdcException.class, () -> second.start(batch -> { }));
        assertThat(e).as("second start fails").isNotNull();
        assertThat(e.getMessage()).contains(db.name() + "_busy").contains("in use");
    }

    @Test
    void invalidConfigValuesNameKeyValueAndWhatIsAllowed() {
        CdcException e = catchThrowableOfType(CdcException.class, () -> CdcConfig.builder().putAll(db.cdcProperties())
                .set("cdc.jdbc.password", PASSWORD).set("cdc.mode", "log").set("cdc.batch.max-size", "0")
                .set("cdc.poll.interval", "soon").set("cdc.reconnect.max-attempts", "-1").tables("public.t").build());
        assertThat(e.getMessage()).contains("cdc.batch.max-size", "0", "cdc.poll.interval", "soon",
                "cdc.reconnect.max-attempts");
        assertSecretHidden(e.getMessage());
        CdcException url = catchThrowableOfType(CdcException.class, () -> CdcConfig.builder().set("cdc.mode", "log")
                .set("cdc.jdbc.url", "jdbc:mysql://h/db?password=" + PASSWORD).tables("public.t").build());
        assertThat(url.getMessage()).contains("cdc.jdbc.url");
        assertSecretHidden(url.getMessage());
    }
}
