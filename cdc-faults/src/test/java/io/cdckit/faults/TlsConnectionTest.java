package io.cdckit.faults;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.LocalPostgresCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Each strategy over TLS, on a cluster of its own with a server certificate for {@code localhost}
 * signed by a test CA: with {@code cdc.jdbc.properties.sslmode=verify-full} and {@code sslrootcert}
 * naming that CA (and a client certificate in {@code sslcert}/{@code sslkey}), a source captures
 * its changes and every session it opens, in log mode also those Debezium opens itself and the
 * walsender of the slot, is encrypted and presents the client certificate, so the driver properties
 * reach every connection. With the root certificate of another CA, start fails with a message that
 * names the TLS problem and the settings to check, the source is FAILED, and it leaves no session
 * and no thread behind; the same holds in log mode when only the connections Debezium opens itself
 * get the wrong root (the short work is served by an application's pool that trusts the right one).
 */
class TlsConnectionTest {

    private static final String DB = "tls";
    private static final String CLIENT_CN = "cdckit-client";

    @TempDir
    static Path certs;

    private static LocalPostgresCluster cluster;
    private static Connection admin;

    private final List<ChangeSource> sources = new ArrayList<>();

    @BeforeAll
    static void startClusterWithTls() throws Exception {
        makeCertificates(certs);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("wal_level", "logical");
        settings.put("max_replication_slots", "32");
        settings.put("max_wal_senders", "32");
        settings.put("max_connections", "200");
        settings.put("fsync", "off");
        settings.put("full_page_writes", "off");
        cluster = LocalPostgresCluster.start(settings);

        Path data = cluster.dataDirectory();
        UserPrincipal serverUser = Files.getOwner(data);
        for (String file : List.of("server.crt", "server.key", "ca.crt")) {
            Path target = data.resolve(file);
            Files.copy(certs.resolve(file), target, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
            if (!Files.getOwner(target).equals(serverUser)) {
                Files.setOwner(target, serverUser);
            }
        }
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl("postgres"), cluster.adminUser(),
                cluster.adminPassword()); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM SET ssl_cert_file = 'server.crt'");
            s.execute("ALTER SYSTEM SET ssl_key_file = 'server.key'");
            // the CA of the client certificate: the server asks clients for one and shows it in pg_stat_ssl
            s.execute("ALTER SYSTEM SET ssl_ca_file = 'ca.crt'");
            s.execute("ALTER SYSTEM SET ssl = on");
            s.execute("SELECT pg_reload_conf()");
            s.execute("CREATE DATABASE " + DB);
        }
        awaitVerifiedTls();
        admin = DriverManager.getConnection(cluster.jdbcUrl(DB), cluster.adminUser(), cluster.adminPassword());
    }

    /** Waits until the reloaded server accepts a connection that verifies its certificate and name. */
    private static void awaitVerifiedTls() throws InterruptedException {
        Properties p = new Properties();
        p.setProperty("user", cluster.adminUser());
        p.setProperty("password", cluster.adminPassword());
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", certs.resolve("ca.crt").toString());
        String url = "jdbc:postgresql://localhost:" + cluster.port() + "/" + DB;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            try (Connection c = DriverManager.getConnection(url, p); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()")) {
                assertThat(rs.next() && rs.getBoolean(1)).as("the verified connection is encrypted").isTrue();
                return;
            } catch (SQLException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new AssertionError("The server does not accept a connection with sslmode=verify-full after "
                + "ssl = on and pg_reload_conf(): " + last + "\n--- end of the server log ---\n" + cluster.logTail(),
                last);
    }

    @AfterAll
    static void stopCluster() throws SQLException {
        try {
            if (admin != null) {
                admin.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @AfterEach
    void closeSources() {
        sources.forEach(ChangeSource::close);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(sessions()).as("sessions left after the sources closed").isEmpty());
    }

    // ---- the tests ----

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void everySessionOfTheSourceVerifiesTheServerAndIsEncrypted(Strategy strategy) throws SQLException {
        TableId table = new TableId("public", "tls_" + strategy.name().toLowerCase());
        createTable(table);
        Map<String, String> p = properties(strategy, "tls", table, certs.resolve("ca.crt"));
        String name = p.get("cdc.name");
        ChangeSource source = ChangeSources.create(CdcConfig.from(p));
        sources.add(source);
        CapturedEvents captured = new CapturedEvents().watching(source);
        source.start(captured);

        execute("INSERT INTO " + table.quoted() + " (id, name) VALUES (1, 'eins'), (2, 'zwei')",
                "UPDATE " + table.quoted() + " SET name = 'EINS', updated_at = clock_timestamp() WHERE id = 1");
        captured.awaitAtLeast(1, e -> e.op() != Op.DELETE && "EINS".equals(e.after().get("name")),
                Duration.ofSeconds(30));
        captured.awaitAtLeast(1, e -> e.op() != Op.DELETE && "zwei".equals(e.after().get("name")),
                Duration.ofSeconds(30));
        assertThat(captured.events()).extracting(ChangeEvent::table).containsOnly(table);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Session> open = sessions();
            assertThat(open).as("sessions of the running source")
                    .anyMatch(s -> s.applicationName().equals("cdckit:" + name));
            if (strategy.log()) {
                Integer walsender = slotPid(name + "_slot");
                assertThat(walsender).as("the walsender of the slot").isNotNull();
                assertThat(open).as("the walsender of the slot").anyMatch(s -> s.pid() == walsender && s.walsender());
            }
            if (strategy == Strategy.LOG) {
                Integer walsender = slotPid(name + "_slot");
                assertThat(walsender).as("the walsender of the slot").isNotNull();
                assertThat(open).as("Debezium's own sessions and the walsender of the slot")
                        .anyMatch(s -> s.applicationName().startsWith("Debezium") && !s.walsender())
                        .anyMatch(s -> s.pid() == walsender && s.walsender());
            }
            assertThat(open).allSatisfy(s -> {
                assertThat(ours(strategy, s, name)).as("%s belongs to the source", s).isTrue();
                assertThat(s.ssl()).as("%s is encrypted", s).isTrue();
                assertThat(s.clientDn()).as("%s presents the client certificate of cdc.jdbc.properties.sslcert", s)
                        .contains("CN=" + CLIENT_CN);
            });
        });
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void aWrongRootCertificateFailsStartNamingTheTlsSettings(Strategy strategy) throws SQLException {
        TableId table = new TableId("public", "wrong_root_" + strategy.name().toLowerCase());
        createTable(table);
        Map<String, String> p = properties(strategy, "wrong_root", table, certs.resolve("wrong-ca.crt"));
        String name = p.get("cdc.name");
        ChangeSource source = ChangeSources.create(CdcConfig.from(p));
        sources.add(source);

        Throwable thrown = catchThrowable(() -> source.start(batch -> {
            throw new AssertionError("no batch may arrive over an unverified connection");
        }));

        assertThat(thrown).as("start fails").isInstanceOf(CdcException.class);
        String messages = messages(thrown);
        assertThat(messages).as("the message chain").contains("Cannot connect to").containsIgnoringCase("ssl")
                .contains("cdc.jdbc.properties.sslmode").contains("sslrootcert");
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.FAILED);
        assertThat(source.status().failure()).isSameAs(thrown);
        source.close();
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.FAILED);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .as("threads of the failed source").filteredOn(Thread::isAlive)
                .noneMatch(t -> t.getName().contains(name)));
        assertThat(sessions()).as("sessions of the failed source").isEmpty();
        if (strategy.log()) {
            assertThat(slotPid(name + "_slot")).as("no walsender reads the slot").isNull();
        }
    }

    @Test
    void aWrongRootCertificateForDebeziumsOwnConnectionsFailsStartNamingTheTlsSettings() throws SQLException {
        TableId table = new TableId("public", "wrong_root_debezium");
        createTable(table);
        // the application's pool trusts the right CA, so cdckit's checks pass and only Debezium meets the wrong root
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:postgresql://localhost:" + cluster.port() + "/" + DB);
        hc.setUsername(cluster.adminUser());
        hc.setPassword(cluster.adminPassword());
        hc.setPoolName("application");
        hc.setMaximumPoolSize(2);
        hc.addDataSourceProperty("sslmode", "verify-full");
        hc.addDataSourceProperty("sslrootcert", certs.resolve("ca.crt").toString());
        Map<String, String> p = properties(Strategy.LOG, "wrong_root_dbz", table, certs.resolve("wrong-ca.crt"));
        String name = p.get("cdc.name");
        try (HikariDataSource app = new HikariDataSource(hc)) {
            ChangeSource source = ChangeSources.create(CdcConfig.from(p), app);
            sources.add(source);

            Throwable thrown = catchThrowable(() -> source.start(batch -> {
                throw new AssertionError("no batch may arrive over an unverified connection");
            }));

            assertThat(thrown).as("start fails").isInstanceOf(CdcException.class);
            String messages = messages(thrown);
            assertThat(messages).as("Debezium's connection refuses the server signed by a CA the root does not name")
                    .containsIgnoringCase("ssl");
            assertThat(thrown.getMessage()).as("the message names the TLS settings to check")
                    .contains("cdc.jdbc.properties.sslmode").contains("sslrootcert");
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.FAILED);
            source.close();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                    .as("threads of the failed source").filteredOn(Thread::isAlive)
                    .noneMatch(t -> t.getName().contains(name)));
            assertThat(slotPid(name + "_slot")).as("no walsender reads the slot").isNull();
        }
    }

    // ---- helpers ----

    private static Map<String, String> properties(Strategy strategy, String scope, TableId table, Path root) {
        Map<String, String> p = new LinkedHashMap<>(strategy.properties);
        String name = strategy.sourceName(scope);
        p.put("cdc.name", name);
        // host localhost, so verify-full checks the name in the server certificate
        p.put("cdc.jdbc.url", "jdbc:postgresql://localhost:" + cluster.port() + "/" + DB);
        p.put("cdc.jdbc.user", cluster.adminUser());
        p.put("cdc.jdbc.password", cluster.adminPassword());
        p.put("cdc.jdbc.properties.sslmode", "verify-full");
        p.put("cdc.jdbc.properties.sslrootcert", root.toString());
        p.put("cdc.jdbc.properties.sslcert", certs.resolve("client.crt").toString());
        p.put("cdc.jdbc.properties.sslkey", certs.resolve("client.pk8").toString());
        p.put("cdc.tables", table.toString());
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "20ms");
        if (strategy.log()) {
            p.put("cdc.log.slot", name + "_slot");
        }
        return p;
    }

    private static boolean ours(Strategy strategy, Session s, String name) {
        return s.applicationName().equals("cdckit:" + name)
                || (strategy == Strategy.LOG && (s.applicationName().startsWith("Debezium") || s.walsender()));
        // the native engine names every session, its walsender included
    }

    private static void createTable(TableId table) throws SQLException {
        execute("DROP TABLE IF EXISTS " + table.quoted(), "CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, name text, "
                + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }

    private static void execute(String... sql) throws SQLException {
        try (Statement s = admin.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** A client session or walsender in the test database, other than the test's own. */
    private record Session(int pid, String applicationName, String backendType, boolean ssl, String clientDn) {
        boolean walsender() {
            return backendType.equals("walsender");
        }
    }

    private static List<Session> sessions() throws SQLException {
        List<Session> out = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement("SELECT a.pid, a.application_name, a.backend_type, "
                + "s.ssl, s.client_dn FROM pg_catalog.pg_stat_activity a JOIN pg_catalog.pg_stat_ssl s ON s.pid = a.pid "
                + "WHERE a.datname = ? AND a.pid <> pg_backend_pid() AND a.backend_type IN ('client backend', 'walsender') "
                + "ORDER BY a.pid")) {
            ps.setString(1, DB);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Session(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getBoolean(4),
                            rs.getString(5) == null ? "" : rs.getString(5)));
                }
            }
        }
        return out;
    }

    /** The pid of the walsender reading {@code slot}, or null when it is not read. */
    private static Integer slotPid(String slot) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement(
                "SELECT active_pid FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                int pid = rs.getInt(1);
                return rs.wasNull() ? null : pid;
            }
        }
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(c).append('\n');
        }
        return sb.toString();
    }

    // ---- certificates ----

    /**
     * Makes, with the openssl command line: a CA, a server certificate it signs for localhost and
     * 127.0.0.1, a client certificate it signs (its key also as PKCS#8 DER, as the driver reads
     * it), and the certificate of another, unrelated CA.
     */
    private static void makeCertificates(Path dir) throws IOException, InterruptedException {
        makeCa(dir, "ca", "cdckit test CA");
        makeCa(dir, "wrong-ca", "cdckit unrelated CA");
        makeSigned(dir, "server", "localhost", "serverAuth", "subjectAltName = DNS:localhost, IP:127.0.0.1\n");
        makeSigned(dir, "client", CLIENT_CN, "clientAuth", "");
        openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", "client.key", "-out", "client.pk8");
    }

    private static void makeCa(Path dir, String name, String cn) throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n"
                + "x509_extensions = v3_ca\n[dn]\nCN = " + cn + "\n[v3_ca]\nbasicConstraints = critical, CA:TRUE\n"
                + "keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n", StandardCharsets.UTF_8);
        openssl(dir, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".crt", "-days", "2", "-config", name + ".cnf");
    }

    private static void makeSigned(Path dir, String name, String cn, String usage, String extra)
            throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = " + cn
                + "\n[ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                + "extendedKeyUsage = " + usage + "\nauthorityKeyIdentifier = keyid\n" + extra, StandardCharsets.UTF_8);
        openssl(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-config", name + ".cnf");
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-set_serial", String.valueOf(System.nanoTime() & Long.MAX_VALUE), "-days", "2", "-out", name + ".crt",
                "-extfile", name + ".cnf", "-extensions", "ext");
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("The TLS tests make their certificates with the openssl command line, "
                    + "which cannot be run (" + e.getMessage() + "): install OpenSSL, e.g. apt-get install openssl, "
                    + "so that 'openssl' is on the PATH.", e);
        }
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within 60 s:\n" + output);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit code " + process.exitValue()
                    + "):\n" + output);
        }
    }
}
