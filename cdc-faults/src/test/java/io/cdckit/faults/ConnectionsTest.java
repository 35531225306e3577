package io.cdckit.faults;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * How each strategy gets its connections: every session it opens is named
 * {@code cdckit:<name>} in {@code pg_stat_activity} (log mode: but those Debezium opens and names
 * itself) and is gone once the source is closed; an application's own HikariCP pool serves the
 * short work of a source of each mode and is left open; and a role's password changed while a
 * source runs is picked up from the {@code CredentialsProvider} when the source reconnects.
 */
@PostgresTest
class ConnectionsTest {

    private static final TableId TABLE = new TableId("public", "items");

    private TestDatabase db;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<ChangeEvent> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp(TestDatabase database) {
        this.db = database;
        db.execute("DROP TABLE IF EXISTS public.items",
                "CREATE TABLE public.items (id int PRIMARY KEY, name text, "
                        + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Map<String, String> properties(Strategy strategy, String scope) {
        Map<String, String> p = new LinkedHashMap<>(strategy.properties);
        p.put("cdc.name", strategy.sourceName(scope));
        p.put("cdc.tables", TABLE.toString());
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "20ms");
        p.put("cdc.offset.store", "jdbc");
        p.put("cdc.offset.jdbc.schema", "cdckit_offsets");
        p.put("cdc.reconnect.initial-delay", "50ms");
        p.put("cdc.reconnect.max-delay", "500ms");
        return p;
    }

    private ChangeSource started(ChangeSource source) {
        closeables.add(source);
        source.start(batch -> received.addAll(batch));
        return source;
    }

    private void insertAndAwait(int id) {
        db.execute("INSERT INTO public.items (id, name) VALUES (" + id + ", 'item " + id + "')");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(received).extracting(e -> ((Number) e.key().get("id")).intValue()).contains(id));
    }

    /** Application names of the sessions in the test database, except the test's own and autovacuum's. */
    private List<String> sessions() {
        List<String> names = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT application_name FROM pg_catalog.pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()"
                        + " AND backend_type IN ('client backend', 'walsender') ORDER BY 1")) {
            ps.setString(1, db.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
        return names;
    }

    private static boolean ours(Strategy strategy, String applicationName, String sourceName) {
        return applicationName.equals("cdckit:" + sourceName)
                || (strategy == Strategy.LOG && applicationName.startsWith("Debezium"));
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void everySessionIsNamedAndClosedWithTheSource(Strategy strategy) {
        Map<String, String> p = properties(strategy, "named");
        p.putAll(db.cdcProperties());
        String name = p.get("cdc.name");
        ChangeSource source = started(ChangeSources.create(CdcConfig.from(p)));
        insertAndAwait(1);

        List<String> open = sessions();
        assertThat(open).as("sessions of the running source").contains("cdckit:" + name)
                .allSatisfy(n -> assertThat(ours(strategy, n, name)).as("session named '%s'", n).isTrue());
        if (strategy == Strategy.LOG) {
            assertThat(open).as("Debezium names its own sessions").anyMatch(n -> n.startsWith("Debezium"));
        } else if (strategy == Strategy.LOG_PGOUTPUT) {
            assertThat(open).as("the native engine's replication session is named too")
                    .filteredOn(n -> n.equals("cdckit:" + name)).hasSizeGreaterThanOrEqualTo(2);
        }

        source.close();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(sessions()).as("sessions after close").noneMatch(n -> ours(strategy, n, name)));
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void anApplicationsHikariPoolServesTheSourceAndStaysOpen(Strategy strategy) throws Exception {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(db.jdbcUrl());
        hc.setUsername(db.user());
        hc.setPassword(db.password());
        hc.setPoolName("application");
        hc.setMaximumPoolSize(3);
        hc.addDataSourceProperty("ApplicationName", "the-application");
        HikariDataSource app = new HikariDataSource(hc);
        closeables.add(app);

        // no cdc.jdbc.*: the URL, user and password of the dedicated connections come from the pool
        Map<String, String> p = properties(strategy, "hikari");
        String name = p.get("cdc.name");
        ChangeSource source = started(ChangeSources.create(CdcConfig.from(p), app));
        insertAndAwait(1);
        insertAndAwait(2);

        List<String> open = sessions();
        assertThat(open).as("short work borrowed from the application's pool").contains("the-application");
        if (strategy == Strategy.LOG) {
            assertThat(open).as("Debezium's connections, opened with the pool's settings")
                    .anyMatch(n -> n.startsWith("Debezium Streaming"));
        } else {
            assertThat(open).as("dedicated connections opened with the pool's settings").contains("cdckit:" + name);
        }
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM cdckit_offsets.cdc_offsets WHERE source_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).as("position saved through the application's pool").isEqualTo(1);
            }
        }

        source.close();
        assertThat(app.isClosed()).as("the application's pool is the application's to close").isFalse();
        try (Connection c = app.getConnection()) {
            assertThat(c.isValid(2)).isTrue();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(sessions()).noneMatch(n -> ours(strategy, n, name)));
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void aRotatedPasswordIsAskedForWhenTheSourceReconnects(Strategy strategy) throws Exception {
        String role = "rotating_" + strategy.name().toLowerCase();
        db.execute("DROP ROLE IF EXISTS " + role,
                "CREATE ROLE " + role + " LOGIN SUPERUSER PASSWORD 'first-Pa55word'");
        closeables.add(() -> {
            db.execute("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = '"
                    + role + "'");
            await().atMost(Duration.ofSeconds(10)).until(() -> sessionsOf(role) == 0);
            db.execute("DROP OWNED BY " + role + " CASCADE", "DROP ROLE " + role);
        });
        AtomicReference<String> current = new AtomicReference<>("first-Pa55word");
        AtomicInteger asked = new AtomicInteger();
        Set<String> handedOut = new TreeSet<>();

        Map<String, String> p = properties(strategy, "rotating");
        p.put("cdc.jdbc.url", db.jdbcUrl());
        p.put("cdc.jdbc.user", role);
        String name = p.get("cdc.name");
        ChangeSource source = started(ChangeSources.builder(CdcConfig.from(p)).credentials(user -> {
            assertThat(user).isEqualTo(role);
            asked.incrementAndGet();
            synchronized (handedOut) {
                handedOut.add(current.get());
            }
            return current.get();
        }).build());
        insertAndAwait(1);
        int askedBefore = asked.get();

        db.execute("ALTER ROLE " + role + " PASSWORD 'second-Pa55word'");
        current.set("second-Pa55word");
        assertThatThrownBy(() -> DriverManager.getConnection(db.jdbcUrl(), role, "first-Pa55word").close())
                .as("the old password no longer logs in").isInstanceOf(SQLException.class);
        db.execute("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = '"
                + role + "'");

        insertAndAwait(2);
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
        assertThat(source.metrics().reconnects()).as("reconnects").isGreaterThanOrEqualTo(1);
        assertThat(asked.get()).as("the provider was asked again").isGreaterThan(askedBefore);
        assertThat(handedOut).contains("first-Pa55word", "second-Pa55word");
        assertThat(sessions()).as("the source's sessions logged in again").anyMatch(n -> ours(strategy, n, name));
    }

    private int sessionsOf(String role) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
