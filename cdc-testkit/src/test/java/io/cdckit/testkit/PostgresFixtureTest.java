package io.cdckit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@PostgresTest
class PostgresFixtureTest {

    private static TestDatabase fromBeforeAll;

    @BeforeAll
    static void createTable(TestDatabase db) {
        fromBeforeAll = db;
        db.execute("CREATE TABLE item (id int PRIMARY KEY, label text)", "INSERT INTO item VALUES (1, 'one')");
    }

    @Test
    void serverIsSharedAndHasLogicalWalLevel(TestDatabase db, PostgresServer server) {
        assertThat(PostgresFixture.server()).isSameAs(server).isSameAs(db.server());
        assertThat(db.queryForString("SHOW wal_level")).isEqualTo("logical");
        assertThat(db.queryForLong("SHOW max_replication_slots")).isGreaterThanOrEqualTo(10);
        assertThat(server.serverVersionNum()).isGreaterThanOrEqualTo(120000);
        assertThat(db.queryForLong("SHOW server_version_num")).isEqualTo(server.serverVersionNum());
    }

    @Test
    void beforeAllAndTestGetTheSameDatabase(TestDatabase db) {
        assertThat(db).isSameAs(fromBeforeAll);
        assertThat(db.name()).startsWith("postgresfixturetest_");
        assertThat(db.queryForString("SELECT label FROM item WHERE id = 1")).isEqualTo("one");
        assertThat(db.queryForString("SELECT current_database()")).isEqualTo(db.name());
    }

    @Test
    void localClusterRunsAsServerUserUnderTarget(PostgresServer server) throws Exception {
        assumeTrue(server.origin() == PostgresOrigin.LOCAL_BINARIES, "the server comes from " + server.origin());
        LocalPostgresCluster cluster = server.localCluster().orElseThrow();

        Path target = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target")
                .toAbsolutePath().normalize();
        if (ServerOsUser.canEnter(target.resolve("cdckit-pg"))) {
            assertThat(cluster.directory()).startsWith(target.resolve("cdckit-pg"));
        } else {
            // a parent of target/ is closed to the OS user postgres: the cluster lives in the temp directory
            assertThat(cluster.directory()).startsWith(Path.of(System.getProperty("java.io.tmpdir"), "cdckit-pg"));
        }
        assertThat(cluster.dataDirectory()).isDirectory().startsWith(cluster.directory());

        Properties owner = new Properties();
        try (InputStream in = Files.newInputStream(cluster.directory().resolve(LeftoverClusters.OWNER_FILE))) {
            owner.load(in);
        }
        assertThat(owner.getProperty("pid")).isEqualTo(Long.toString(ProcessHandle.current().pid()));

        long backendPid;
        try (Connection c = server.connect("postgres"); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            backendPid = rs.getLong(1);
            long postmasterPid = Long.parseLong(statusField(backendPid, "PPid"));
            assertThat(postmasterPid).isEqualTo(cluster.postmasterPid());
            String expectedUser = ServerOsUser.jvmIsRoot() ? "postgres" : System.getProperty("user.name");
            assertThat(userName(statusField(postmasterPid, "Uid"))).isEqualTo(expectedUser);
            assertThat(userName(statusField(backendPid, "Uid"))).isEqualTo(expectedUser);
        }
    }

    @Test
    void cdcPropertiesConnectAndToStringHidesPassword(TestDatabase db) throws Exception {
        assertThat(db.cdcProperties())
                .containsEntry("cdc.jdbc.url", db.jdbcUrl())
                .containsEntry("cdc.jdbc.user", db.user())
                .containsEntry("cdc.jdbc.password", db.password());
        assertThat(db.jdbcUrl()).endsWith("/" + db.name());
        try (Connection c = java.sql.DriverManager.getConnection(db.cdcProperties().get("cdc.jdbc.url"),
                db.user(), db.password())) {
            assertThat(c.isValid(5)).isTrue();
        }
        assertThat(db.password()).isNotBlank();
        assertThat(db.toString()).contains(db.name()).doesNotContain(db.password());
        assertThat(db.server().toString()).doesNotContain(db.password());
    }

    @Test
    void executeNamesTheFailingStatement(TestDatabase db) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> db.execute("SELECT 1", "SELECT * FROM no_such_table"))
                .isInstanceOf(TestSqlException.class)
                .hasMessageContaining("SELECT * FROM no_such_table")
                .hasMessageContaining("no_such_table")
                .satisfies(e -> assertThat(((TestSqlException) e).sqlState()).isEqualTo("42P01"));
    }

    private static String statusField(long pid, String field) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        for (String line : lines) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim().split("\\s+")[0];
            }
        }
        throw new AssertionError("no " + field + " in /proc/" + pid + "/status");
    }

    private static String userName(String uid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 2 && f[2].equals(uid)) {
                return f[0];
            }
        }
        return "uid " + uid;
    }
}
