package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.SourceHealth;
import io.cdckit.api.SourceStatus;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.LocalPostgresCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A server of its own with {@code max_slot_wal_keep_size = 1MB}, which this class changes: a slot
 * PostgreSQL invalidates stops its source with the recovery in the message, and an unlimited
 * setting is warned about at start.
 */
class SlotInvalidationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String UNLIMITED_WARNING = "max_slot_wal_keep_size = -1 (unlimited)";

    private static LocalPostgresCluster cluster;

    private final List<ChangeSource> sources = new ArrayList<>();
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeAll
    static void startServer() throws SQLException {
        cluster = LocalPostgresCluster.start(Map.of("wal_level", "logical", "max_slot_wal_keep_size", "1MB",
                "max_replication_slots", "8", "max_wal_senders", "8", "fsync", "off"));
        execute("postgres", "CREATE DATABASE guard");
    }

    @AfterAll
    static void stopServer() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void captureLog() {
        originalErr = System.err;
        System.setErr(new PrintStream(new Tee(logs, originalErr), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void closeSources() {
        sources.forEach(ChangeSource::close);
        System.setErr(originalErr);
    }

    private static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(cluster.jdbcUrl(database), cluster.adminUser(), cluster.adminPassword());
    }

    private static void execute(String database, String... sql) throws SQLException {
        try (Connection c = connect(database); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private static String queryString(String sql) throws SQLException {
        try (Connection c = connect("guard"); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private CdcConfig config(String name, Path offsets, Map<String, String> extra) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("cdc.mode", "log");
        p.put("cdc.log.engine", TestEngine.NAME);
        p.put("cdc.name", name);
        p.put("cdc.jdbc.url", cluster.jdbcUrl("guard"));
        p.put("cdc.jdbc.user", cluster.adminUser());
        p.put("cdc.jdbc.password", cluster.adminPassword());
        p.put("cdc.tables", "public." + name);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "20ms");
        p.put("cdc.offset.store", "file:" + offsets.resolve("offsets.json"));
        p.putAll(extra);
        return CdcConfig.builder().putAll(p).build();
    }

    private ChangeSource start(CdcConfig config, CapturedEvents handler) {
        ChangeSource s = ChangeSources.create(config);
        sources.add(s);
        handler.watching(s);
        s.start(handler);
        return s;
    }

    private String log() {
        return logs.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aSlotInvalidatedByMaxSlotWalKeepSizeStopsTheSourceWithTheRecoveryThatThenWorks(@TempDir Path dir)
            throws Exception {
        execute("guard", "CREATE TABLE lost (id int PRIMARY KEY, pad text)");
        CdcConfig cfg = config("lost", dir, Map.of());
        CapturedEvents first = new CapturedEvents();
        ChangeSource s1 = start(cfg, first);
        execute("guard", "INSERT INTO lost VALUES (1, 'delivered')");
        first.awaitAtLeast(1, WAIT);
        s1.close();
        assertThat(log()).as("a limit is set on this server: no start warning").doesNotContain(UNLIMITED_WARNING);

        // while the source is stopped, WAL beyond max_slot_wal_keep_size is written and a checkpoint removes it
        int id = 1;
        for (int round = 0; round < 10 && !"lost".equals(queryString(
                "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost_slot'")); round++) {
            id++;
            execute("guard", "INSERT INTO lost VALUES (" + id + ", repeat('x', 1000))", "SELECT pg_switch_wal()",
                    "CHECKPOINT");
        }
        assertThat(queryString("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost_slot'"))
                .isEqualTo("lost");

        ChangeSource s2 = ChangeSources.create(cfg);
        sources.add(s2);
        assertThatThrownBy(() -> s2.start(batch -> { }))
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("Replication slot lost_slot of source 'lost' was invalidated by PostgreSQL "
                        + "(wal_status=lost")
                .hasMessageContaining("more WAL than max_slot_wal_keep_size allows")
                .hasMessageContaining("are gone and cannot be captured; the source stops rather than skip them")
                .hasMessageContaining("retire the slot with LogState.drop(config)")
                .hasMessageContaining("start the source again with cdc.snapshot.mode=initial")
                .hasMessageContaining("or start it under a new cdc.name");
        assertThat(s2.status().state()).isEqualTo(SourceStatus.State.FAILED);
        s2.close();

        // the server's own words when the slot is read, as Debezium would meet them, are recognised too
        SQLException serverError = null;
        try (Connection c = connect("guard"); Statement st = c.createStatement()) {
            st.executeQuery("SELECT count(*) FROM pg_logical_slot_peek_binary_changes('lost_slot', NULL, NULL, "
                    + "'proto_version', '1', 'publication_names', 'lost_pub')").close();
        } catch (SQLException e) {
            serverError = e;
        }
        assertThat((Throwable) serverError).as("reading an invalidated slot fails").isNotNull()
                .hasMessageContaining("lost_slot");
        assertThat(SlotGuard.isInvalidatedSlotError(new IllegalStateException("engine stopped",
                new RuntimeException("streaming failed", serverError)))).isTrue();
        assertThat(SlotGuard.isInvalidatedSlotError(new SQLException("connection refused", "08001"))).isFalse();

        // the recovery the message names: retire, then start again with a new snapshot
        LogState.drop(cfg);
        assertThat(queryString("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'lost_slot'"))
                .isEqualTo("0");
        assertThat(queryString("SELECT count(*) FROM pg_publication WHERE pubname = 'lost_pub'")).isEqualTo("0");
        CapturedEvents again = new CapturedEvents();
        start(config("lost", dir, Map.of("cdc.snapshot.mode", "initial")), again);
        List<ChangeEvent> snapshot = again.awaitAtLeast(id, WAIT);
        assertThat(snapshot).as("every row, also those written while the slot was lost")
                .allMatch(e -> e.op() == Op.READ).extracting(e -> e.key().get("id"))
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, id).boxed().toList());
        execute("guard", "INSERT INTO lost VALUES (1000, 'after')");
        assertThat(again.awaitAtLeast(1, e -> e.op() == Op.CREATE, WAIT)).extracting(e -> e.key().get("id"))
                .containsExactly(1000);
    }

    @Test
    void aRunningSourceWhoseSlotIsInvalidatedWhileItsHandlerStallsStopsAsFailed(@TempDir Path dir) throws Exception {
        execute("guard", "CREATE TABLE stalled (id int PRIMARY KEY, pad text)");
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        ChangeSource source = ChangeSources.create(config("stalled", dir, Map.of("cdc.metrics.backlog-interval",
                "0ms", "cdc.reconnect.initial-delay", "10ms")));
        sources.add(source);
        source.start(batch -> {
            entered.countDown();
            release.await(60, java.util.concurrent.TimeUnit.SECONDS);
        });
        execute("guard", "INSERT INTO stalled VALUES (1, 'stalls the handler')");
        assertThat(entered.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // past max_slot_wal_keep_size, before a checkpoint removes the WAL: about to be invalidated
        execute("guard", "INSERT INTO stalled VALUES (2, repeat('x', 1000))", "SELECT pg_switch_wal()");
        assertThat(queryString("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'stalled_slot'"))
                .isEqualTo("unreserved");
        SourceHealth health = source.health();
        assertThat(health.status()).isEqualTo(SourceHealth.Status.DEGRADED);
        assertThat(source.metrics().backlog().warnings()).anySatisfy(w -> assertThat(w)
                .startsWith("replication slot stalled_slot is about to be invalidated (wal_status=unreserved)")
                .contains("max_slot_wal_keep_size"));
        assertThat(health.details().get("reasons").toString()).contains("is about to be invalidated");
        int id = 2;
        String status = null;
        for (int round = 0; round < 10 && !"lost".equals(status); round++) {
            id++;
            execute("guard", "INSERT INTO stalled VALUES (" + id + ", repeat('x', 1000))", "SELECT pg_switch_wal()",
                    "CHECKPOINT");
            status = queryString("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'stalled_slot'");
        }
        assertThat(status).isEqualTo("lost");
        release.countDown();
        Awaitility.await().atMost(WAIT).until(() -> source.status().state() == SourceStatus.State.FAILED);
        assertThat(source.status().failure()).isInstanceOf(CdcException.class)
                .hasMessageContaining("Replication slot stalled_slot of source 'stalled' was invalidated by "
                        + "PostgreSQL")
                .hasMessageContaining("LogState.drop(config)");
    }

    @Test
    void unlimitedMaxSlotWalKeepSizeIsWarnedOnceAtStartSayingWhatToSet(@TempDir Path dir) throws Exception {
        execute("guard", "CREATE TABLE unlimited (id int PRIMARY KEY)");
        execute("postgres", "ALTER SYSTEM SET max_slot_wal_keep_size = -1", "SELECT pg_reload_conf()");
        try {
            Awaitility.await().atMost(WAIT).until(() -> "-1".equals(queryString("SHOW max_slot_wal_keep_size")));
            CapturedEvents captured = new CapturedEvents();
            start(config("unlimited", dir, Map.of()), captured);
            execute("guard", "INSERT INTO unlimited VALUES (1)");
            captured.awaitAtLeast(1, WAIT);
            String log = log();
            assertThat(log.split(java.util.regex.Pattern.quote(UNLIMITED_WARNING), -1)).as("warned once").hasSize(2);
            String line = log.lines().filter(l -> l.contains(UNLIMITED_WARNING)).findFirst().orElseThrow();
            assertThat(line).contains("WARN", "replication slot unlimited_slot of source 'unlimited'",
                    "can fill the server's disk", "ALTER SYSTEM SET max_slot_wal_keep_size = '10GB'",
                    "SELECT pg_reload_conf()", "invalidated instead of filling the disk");
        } finally {
            execute("postgres", "ALTER SYSTEM RESET max_slot_wal_keep_size", "SELECT pg_reload_conf()");
        }
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
