package io.cdckit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LocalPostgresClusterTest {

    private static LocalPostgresCluster replica;

    @BeforeAll
    static void startReplicaCluster() {
        replica = LocalPostgresCluster.start(Map.of("wal_level", "replica", "max_connections", "20"));
    }

    @AfterAll
    static void closeReplicaCluster() {
        if (replica != null) {
            replica.close();
        }
    }

    @Test
    void startsWithTheGivenSettingsAndPasswordAuthentication() throws Exception {
        assertThat(replica.isRunning()).isTrue();
        assertThat(query(replica, "SHOW wal_level")).isEqualTo("replica");
        assertThat(query(replica, "SHOW max_connections")).isEqualTo("20");
        assertThat(query(replica, "SHOW unix_socket_directories")).isEmpty();
        assertThat(query(replica, "SHOW password_encryption")).isEqualTo("scram-sha-256");
        assertThat(query(replica, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).isEqualTo("t");
        assertThatThrownBy(() -> DriverManager.getConnection(replica.jdbcUrl("postgres"), "cdckit", "wrong").close())
                .hasMessageContaining("password authentication failed");
        assertThat(replica.directory()).startsWith(LocalPostgresCluster.baseDirectory());
        assertThat(replica.toString()).doesNotContain(replica.adminPassword());
    }

    @Test
    void restartKeepsCommittedData() throws Exception {
        exec(replica, "CREATE TABLE IF NOT EXISTS kept (id int)", "TRUNCATE kept", "INSERT INTO kept VALUES (1)");
        int port = replica.port();
        long pidBefore = replica.postmasterPid();

        replica.restart(ShutdownMode.FAST);
        assertThat(replica.port()).isEqualTo(port);
        assertThat(replica.postmasterPid()).isNotEqualTo(pidBefore);
        assertThat(query(replica, "SELECT count(*) FROM kept")).isEqualTo("1");

        exec(replica, "INSERT INTO kept VALUES (2)");
        replica.restart(ShutdownMode.IMMEDIATE);
        assertThat(query(replica, "SELECT string_agg(id::text, ',' ORDER BY id) FROM kept")).isEqualTo("1,2");
        assertThat(LocalPostgresCluster.tail(replica.serverLog(), 200))
                .contains("received immediate shutdown request");

        replica.stop(ShutdownMode.SMART);
        assertThat(replica.isRunning()).isFalse();
        replica.stop(ShutdownMode.FAST);
        replica.start();
        assertThat(query(replica, "SELECT count(*) FROM kept")).isEqualTo("2");
        assertThatThrownBy(replica::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already running");
    }

    @Test
    void environmentServerWithoutLogicalWalLevelIsRefused() {
        ServerDiscovery discovery = new ServerDiscovery(Map.of(
                ServerDiscovery.URL_ENV, replica.jdbcUrl("postgres"),
                ServerDiscovery.USER_ENV, replica.adminUser(),
                ServerDiscovery.PASSWORD_ENV, replica.adminPassword())::get, Map.<String, String>of()::get);
        assertThatThrownBy(discovery::discover).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("wal_level=replica")
                .hasMessageContaining("wal_level=logical");
    }

    @Test
    void badSettingsFailWithTheServerLog() {
        assertThatThrownBy(() -> LocalPostgresCluster.start(Map.of("wal_level", "nonsense")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pg_ctl start failed")
                .hasMessageContaining("invalid value for parameter \"wal_level\"");
    }

    @Test
    void clustersOfDeadJvmsAreStoppedAndDeleted() throws Exception {
        LocalPostgresCluster orphan = LocalPostgresCluster.start(Map.of());
        try {
            long postmaster = orphan.postmasterPid();
            Process gone = new ProcessBuilder("true").start();
            assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
            pretendOwnerIs(orphan.directory(), gone.pid());

            LeftoverClusters.reap(orphan.directory().getParent());

            assertThat(orphan.directory()).doesNotExist();
            assertThat(ended(postmaster)).as("postmaster %s ended", postmaster).isTrue();
            assertThat(replica.isRunning()).as("clusters of live JVMs are left alone").isTrue();
            assertThat(replica.directory()).isDirectory();
        } finally {
            orphan.close();
        }
        assertThat(orphan.isRunning()).isFalse();
    }

    @Test
    void closeStopsAndDeletes() throws Exception {
        LocalPostgresCluster cluster = LocalPostgresCluster.start(Map.of("wal_level", "logical"));
        long postmaster = cluster.postmasterPid();
        Path dir = cluster.directory();
        assertThat(query(cluster, "SHOW wal_level")).isEqualTo("logical");
        cluster.close();
        cluster.close();
        assertThat(dir).doesNotExist();
        assertThat(ended(postmaster)).as("postmaster %s ended", postmaster).isTrue();
        assertThatThrownBy(cluster::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /** Whether the process is gone or a zombie (its parent may be slow to reap it), within 10 s. */
    static boolean ended(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).isEmpty()) {
                return true;
            }
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                if (stat.substring(stat.lastIndexOf(')') + 1).trim().startsWith("Z")) {
                    return true;
                }
            } catch (IOException e) {
                return true;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        return false;
    }

    private static void pretendOwnerIs(Path clusterDir, long pid) throws IOException {
        Path file = clusterDir.resolve(LeftoverClusters.OWNER_FILE);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        p.setProperty("pid", Long.toString(pid));
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, null);
        }
    }

    private static String query(LocalPostgresCluster cluster, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl("postgres"), cluster.adminUser(),
                cluster.adminPassword()); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static void exec(LocalPostgresCluster cluster, String... sql) throws Exception {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl("postgres"), cluster.adminUser(),
                cluster.adminPassword()); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
