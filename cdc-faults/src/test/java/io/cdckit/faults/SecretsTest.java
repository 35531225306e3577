package io.cdckit.faults;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Position;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A password never reaches a message, a log line or {@code toString()}, in any form a
 * configuration or a URL can carry it ({@code cdc.jdbc.password}, {@code password=} and
 * {@code sslpassword=} in the URL, {@code //user:secret@}, {@code cdc.jdbc.properties.*password}, a
 * credentials provider's answer), over every path that formats a config, a URL or a driver error:
 * the config itself, invalid and unknown values, a refused login of each strategy, the
 * connections and the JDBC offset store.
 */
@PostgresTest
class SecretsTest {

    private static final String SECRET = "Zz-s3cr3t-Ω-Pa55";

    private TestDatabase db;
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private PrintStream originalErr;
    private PrintStream originalOut;

    @BeforeEach
    void setUp(TestDatabase database) {
        this.db = database;
        db.execute("DROP TABLE IF EXISTS public.items",
                "CREATE TABLE public.items (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now())");
        originalErr = System.err;
        originalOut = System.out;
        System.setErr(new PrintStream(new TeeStream(logs, originalErr), true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new TeeStream(logs, originalOut), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setErr(originalErr);
        System.setOut(originalOut);
        assertThat(logs.toString(StandardCharsets.UTF_8)).as("log output").doesNotContain(SECRET);
    }

    private static String rendered(Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }

    private Map<String, String> base(Strategy strategy) {
        Map<String, String> p = new LinkedHashMap<>(strategy.properties);
        p.put("cdc.name", strategy.sourceName("secrets"));
        p.put("cdc.tables", "public.items");
        p.put("cdc.reconnect.max-attempts", "0");
        return p;
    }

    @Test
    void theConfigShowsNoSecretInAnyForm() {
        CdcConfig config = CdcConfig.builder().set("cdc.mode", "trigger").tables("public.items")
                .set("cdc.jdbc.url", "jdbc:postgresql://app:" + SECRET + "@localhost/shop?password=" + SECRET
                        + "&sslpassword=" + SECRET)
                .set("cdc.jdbc.user", "app").set("cdc.jdbc.password", SECRET)
                .set("cdc.jdbc.properties.password", SECRET).set("cdc.jdbc.properties.sslpassword", SECRET)
                .build();
        assertThat(config.toString()).contains("cdc.jdbc.url", "cdc.jdbc.properties.sslpassword")
                .doesNotContain(SECRET);
        // percent-encoded in the URL, as a URL must carry a password with reserved characters
        String encoded = java.net.URLEncoder.encode(SECRET, StandardCharsets.UTF_8);
        CdcConfig encodedConfig = CdcConfig.builder().set("cdc.mode", "trigger").tables("public.items")
                .set("cdc.jdbc.url", "jdbc:postgresql://localhost/shop?user=app&password=" + encoded).build();
        assertThat(encodedConfig.toString()).contains("cdc.jdbc.url").doesNotContain(encoded);
        try (SourceConnections connections = SourceConnections.create(encodedConfig)) {
            assertThat(connections.toString()).doesNotContain(encoded);
            assertThat(connections.describe()).doesNotContain(encoded);
        }
        try (SourceConnections connections = SourceConnections.create(config)) {
            assertThat(connections.toString()).doesNotContain(SECRET);
            assertThat(connections.describe()).contains("localhost").doesNotContain(SECRET);
            assertThat(connections.masking().scrub("driver said: " + SECRET)).doesNotContain(SECRET);
        }
    }

    @Test
    void invalidAndUnknownValuesAreNamedWithoutTheSecret() {
        Throwable invalid = catchThrowable(() -> CdcConfig.builder().set("cdc.mode", "log").tables("public.t")
                .set("cdc.jdbc.url", "jdbc:mysql://u:" + SECRET + "@h/db?password=" + SECRET).build());
        assertThat(invalid).isInstanceOf(CdcException.class).hasMessageContaining("cdc.jdbc.url");
        assertThat(rendered(invalid)).doesNotContain(SECRET);

        Throwable unknown = catchThrowable(() -> CdcConfig.builder().set("cdc.mode", "log").tables("public.t")
                .set("cdc.jdbc.pasword", SECRET).build());
        assertThat(unknown).isInstanceOf(CdcException.class).hasMessageContaining("cdc.jdbc.password");
        assertThat(rendered(unknown)).doesNotContain(SECRET);

        Throwable badTimeout = catchThrowable(() -> CdcConfig.builder().set("cdc.mode", "log").tables("public.t")
                .set("cdc.jdbc.password", SECRET).set("cdc.jdbc.connect-timeout", SECRET).build());
        assertThat(badTimeout).isInstanceOf(CdcException.class).hasMessageContaining("cdc.jdbc.connect-timeout");
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void aRefusedLoginNamesTheFixWithoutThePassword(Strategy strategy) {
        Map<String, String> configured = base(strategy);
        configured.put("cdc.jdbc.url", db.jdbcUrl());
        configured.put("cdc.jdbc.user", db.user());
        configured.put("cdc.jdbc.password", SECRET);
        ChangeSource source = ChangeSources.create(CdcConfig.from(configured));
        Throwable refused = catchThrowable(() -> source.start(batch -> { }));
        source.close();
        assertThat(refused).as("start fails").isNotNull();
        assertThat(rendered(refused)).contains("cdc.jdbc.password").doesNotContain(SECRET);

        // the same wrong password in the URL, and handed out by a credentials provider
        Map<String, String> inUrl = base(strategy);
        inUrl.put("cdc.jdbc.url", db.jdbcUrl() + "?user=" + db.user() + "&password=" + SECRET);
        ChangeSource fromUrl = ChangeSources.create(CdcConfig.from(inUrl));
        Throwable urlRefused = catchThrowable(() -> fromUrl.start(batch -> { }));
        fromUrl.close();
        assertThat(urlRefused).isNotNull();
        assertThat(rendered(urlRefused)).doesNotContain(SECRET);

        Map<String, String> provided = base(strategy);
        provided.put("cdc.jdbc.url", db.jdbcUrl());
        provided.put("cdc.jdbc.user", db.user());
        ChangeSource fromProvider = ChangeSources.builder(CdcConfig.from(provided)).credentials(user -> SECRET).build();
        Throwable providerRefused = catchThrowable(() -> fromProvider.start(batch -> { }));
        fromProvider.close();
        assertThat(providerRefused).isNotNull();
        assertThat(rendered(providerRefused)).contains("CredentialsProvider").doesNotContain(SECRET);
    }

    /**
     * A source of each strategy runs with the secret as its role's password, given in each form
     * (config, URL, provider), and delivers a change: what it, its pool and Debezium log at INFO
     * while starting, running and closing never shows the secret (checked after each test).
     */
    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void aRunningSourceLogsNoSecret(Strategy strategy) {
        String role = "secret_" + strategy.name().toLowerCase();
        db.execute("DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role + " LOGIN SUPERUSER PASSWORD '" + SECRET + "'");
        Map<String, String> configured = base(strategy);
        configured.put("cdc.name", strategy.sourceName("secrets_run"));
        configured.put("cdc.snapshot.mode", "never");
        configured.put("cdc.poll.interval", "20ms");
        configured.put("cdc.jdbc.url", db.jdbcUrl() + "?password=" + SECRET);
        configured.put("cdc.jdbc.user", role);
        configured.put("cdc.jdbc.password", SECRET);
        java.util.List<io.cdckit.api.ChangeEvent> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ChangeSource source = ChangeSources.builder(CdcConfig.from(configured)).credentials(user -> SECRET)
                .build()) {
            source.start(received::addAll);
            db.execute("INSERT INTO public.items (id) VALUES (1)");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> received.size() >= 1);
            assertThat(source.toString()).doesNotContain(SECRET);
            assertThat(source.config().toString()).doesNotContain(SECRET);
            assertThat(source.status().toString()).doesNotContain(SECRET);
            assertThat(source.health().toString()).doesNotContain(SECRET);
        }
        db.execute("DELETE FROM public.items");
    }

    @Test
    void theJdbcOffsetStoreShowsNoPassword() throws Exception {
        String url = db.jdbcUrl() + "?password=" + SECRET;
        try (OffsetStore store = OffsetStores.jdbc(url, db.user(), SECRET, "cdckit", "offsets")) {
            assertThat(store.toString()).contains("offsets").doesNotContain(SECRET);
            Throwable refused = catchThrowable(() -> store.save("s", Position.of("lsn", 1L)));
            assertThat(refused).isInstanceOf(CdcException.class).hasMessageContaining("cdc.jdbc.password");
            assertThat(rendered(refused)).doesNotContain(SECRET);
        }
        // the right password works, and still shows nowhere
        try (OffsetStore store = OffsetStores.jdbc(db.jdbcUrl(), db.user(), db.password(), "cdckit", "offsets")) {
            store.save("s", Position.of("lsn", 1L));
            assertThat(store.load("s")).isPresent();
            assertThat(store.toString()).doesNotContain(db.password());
        }
    }
}
