package io.cdckit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerDiscoveryTest {

    private static final Map<String, String> NO_ENV = Map.of();

    @Test
    void nothingAvailableNamesAllThreeWays() {
        ServerDiscovery discovery = new ServerDiscovery(NO_ENV::get, Map.of(
                PostgresBinaries.BIN_PROPERTY, "none",
                ServerDiscovery.DOCKER_PROPERTY, "none")::get);

        assertThatThrownBy(discovery::discover)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CDC_TEST_JDBC_URL")
                .hasMessageContaining("wal_level=logical")
                .hasMessageContaining("apt-get install postgresql")
                .hasMessageContaining("Docker engine")
                .hasMessageContaining("cdckit.test.pg.bin=none")
                .hasMessageContaining("cdckit.test.docker=none");
    }

    @Test
    void binDirectoryFromTheEnvironmentCanTurnLocalBinariesOff() {
        ServerDiscovery discovery = new ServerDiscovery(Map.of(PostgresBinaries.BIN_ENV, "NONE")::get,
                Map.of(ServerDiscovery.DOCKER_PROPERTY, "none")::get);
        assertThatThrownBy(discovery::discover).hasMessageContaining("CDC_TEST_PG_BIN=none");
    }

    @Test
    void configuredBinDirectoryMustHoldTheServerPrograms() {
        ServerDiscovery discovery = new ServerDiscovery(NO_ENV::get,
                Map.of(PostgresBinaries.BIN_PROPERTY, "/no/such/dir")::get);
        assertThatThrownBy(discovery::discover)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cdckit.test.pg.bin=/no/such/dir")
                .hasMessageContaining("not a directory");
    }

    @Test
    void malformedEnvironmentUrlIsExplained() {
        ServerDiscovery discovery = new ServerDiscovery(
                Map.of(ServerDiscovery.URL_ENV, "postgres://localhost/x")::get, NO_ENV::get);
        assertThatThrownBy(discovery::discover).hasMessageContaining("jdbc:postgresql://HOST");
    }

    @Test
    void environmentServerIsUsedAsIs() {
        PostgresServer shared = PostgresFixture.server();
        String url = shared.jdbcUrl("postgres") + "?user=" + shared.adminUser() + "&ApplicationName=envtest";
        ServerDiscovery discovery = new ServerDiscovery(Map.of(ServerDiscovery.URL_ENV, url,
                ServerDiscovery.PASSWORD_ENV, shared.adminPassword())::get, NO_ENV::get);

        PostgresServer server = discovery.discover();

        assertThat(server.origin()).isEqualTo(PostgresOrigin.ENVIRONMENT);
        assertThat(server.host()).isEqualTo(shared.host());
        assertThat(server.port()).isEqualTo(shared.port());
        assertThat(server.adminUser()).isEqualTo(shared.adminUser());
        assertThat(server.localCluster()).isEmpty();
        TestDatabase db = server.createDatabase("ServerDiscoveryTest");
        try {
            assertThat(db.jdbcUrl()).doesNotContain("user=").contains("ApplicationName=envtest");
            assertThat(db.queryForString("SELECT current_setting('application_name')")).isEqualTo("envtest");
        } finally {
            db.drop();
        }
        try (TestDatabase check = shared.createDatabase("check")) {
            assertThat(check.queryForLong("SELECT count(*) FROM pg_database WHERE datname = '" + db.name() + "'"))
                    .isZero();
        }
    }

    @Test
    void databaseNamesAreValidIdentifiersDerivedFromTheHint() {
        assertThat(PostgresServer.databaseNamePrefix("OrdersTest")).isEqualTo("orderstest");
        assertThat(PostgresServer.databaseNamePrefix("My-Test$Inner")).isEqualTo("my_test_inner");
        assertThat(PostgresServer.databaseNamePrefix("42things")).isEqualTo("db_42things");
        assertThat(PostgresServer.databaseNamePrefix("")).isEqualTo("db");
        assertThat(PostgresServer.databaseNamePrefix("Ünïcode")).isEqualTo("n_code");
        assertThat(PostgresServer.databaseNamePrefix("x".repeat(100))).hasSize(48);
    }

    @Test
    void createdDatabasesHaveDistinctNames() {
        PostgresServer server = PostgresFixture.server();
        TestDatabase a = server.createDatabase("Same Hint");
        TestDatabase b = server.createDatabase("Same Hint");
        try {
            assertThat(a.name()).startsWith("same_hint_").isNotEqualTo(b.name());
            a.execute("CREATE TABLE t (id int)");
            assertThat(b.queryForString("SELECT to_regclass('t')::text")).isNull();
        } finally {
            a.drop();
            b.drop();
            a.drop();
        }
    }
}
