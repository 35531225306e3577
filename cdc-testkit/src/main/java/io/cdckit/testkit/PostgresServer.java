package io.cdckit.testkit;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One PostgreSQL server that tests run against, with a superuser (or a user that may create
 * databases and replication slots) to administer it. Tests get fresh databases from
 * {@link #createDatabase(String)}; the server itself is shared. The fixture's server comes from
 * {@link PostgresFixture#server()}. Instances are thread-safe.
 */
public final class PostgresServer {

    private static final int MAX_DATABASE_NAME_PREFIX = 48;

    private final PostgresOrigin origin;
    private final String host;
    private final int port;
    private final String hosts;
    private final String urlQuery;
    private final String maintenanceDatabase;
    private final String adminUser;
    private final String adminPassword;
    private final LocalPostgresCluster cluster;
    private final String description;
    private final int serverVersionNum;
    private final AtomicInteger databaseCounter = new AtomicInteger();

    /**
     * A server; connects once to read its version.
     *
     * @param hosts the host part of the JDBC URL, e.g. {@code 127.0.0.1:5432}
     * @param urlQuery the query part of the JDBC URL including '?', or ""
     */
    PostgresServer(PostgresOrigin origin, String host, int port, String hosts, String urlQuery,
            String maintenanceDatabase, String adminUser, String adminPassword, LocalPostgresCluster cluster,
            String description) {
        this.origin = origin;
        this.host = host;
        this.port = port;
        this.hosts = hosts;
        this.urlQuery = urlQuery;
        this.maintenanceDatabase = maintenanceDatabase;
        this.adminUser = adminUser;
        this.adminPassword = adminPassword;
        this.cluster = cluster;
        this.description = description;
        this.serverVersionNum = Integer.parseInt(queryString(maintenanceDatabase, "SHOW server_version_num"));
    }

    /** The server of a local cluster. */
    static PostgresServer of(LocalPostgresCluster cluster) {
        return new PostgresServer(PostgresOrigin.LOCAL_BINARIES, cluster.host(), cluster.port(),
                cluster.host() + ":" + cluster.port(), "", "postgres", cluster.adminUser(), cluster.adminPassword(),
                cluster, "binaries in " + cluster.binDirectory() + ", cluster in " + cluster.directory());
    }

    /** Where the server came from. */
    public PostgresOrigin origin() {
        return origin;
    }

    /** The host name or address to connect to. */
    public String host() {
        return host;
    }

    /** The TCP port to connect to. */
    public int port() {
        return port;
    }

    /** The administrator's user name. */
    public String adminUser() {
        return adminUser;
    }

    /** The administrator's password. */
    public String adminPassword() {
        return adminPassword;
    }

    /**
     * The JDBC URL of {@code database} on this server, e.g.
     * {@code jdbc:postgresql://127.0.0.1:5432/orders_1}; it never holds a user or password.
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + hosts + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8) + urlQuery;
    }

    /** The server's version as a number, e.g. {@code 150018} for 15.18 ({@code server_version_num}). */
    public int serverVersionNum() {
        return serverVersionNum;
    }

    /**
     * The local cluster behind this server, when it came from {@link PostgresOrigin#LOCAL_BINARIES};
     * tests that stop or restart it affect every test of the JVM that shares it.
     */
    public Optional<LocalPostgresCluster> localCluster() {
        return Optional.ofNullable(cluster);
    }

    /**
     * Opens a connection to {@code database} as the administrator. The caller closes it.
     *
     * @throws TestSqlException when the connection fails
     */
    public Connection connect(String database) {
        Properties props = new Properties();
        props.setProperty("user", adminUser);
        if (adminPassword != null) {
            props.setProperty("password", adminPassword);
        }
        props.setProperty("ApplicationName", "cdckit-testkit");
        String url = jdbcUrl(database);
        try {
            return DriverManager.getConnection(url, props);
        } catch (SQLException e) {
            throw new TestSqlException(this.toString(), "connect to " + url, e);
        }
    }

    /**
     * Creates a fresh, empty database whose name is derived from {@code hint}: lower-cased, every
     * character other than a letter, digit or '_' replaced by '_', shortened, and followed by a
     * counter, e.g. {@code orderstest_3} for {@code "OrdersTest"}. The caller drops it with
     * {@link TestDatabase#drop()}.
     *
     * @param hint what the database is for, usually the test class's simple name
     * @throws TestSqlException when CREATE DATABASE fails
     */
    public TestDatabase createDatabase(String hint) {
        String prefix = databaseNamePrefix(hint);
        for (int attempt = 0; ; attempt++) {
            String name = prefix + "_" + databaseCounter.incrementAndGet();
            String sql = "CREATE DATABASE " + quoteIdentifier(name);
            try (Connection c = connect(maintenanceDatabase); Statement st = c.createStatement()) {
                st.execute(sql);
                return new TestDatabase(this, name);
            } catch (SQLException e) {
                // 42P04: made by another JVM sharing the same server: take the next number
                if (!"42P04".equals(e.getSQLState()) || attempt >= 100) {
                    throw new TestSqlException(maintenanceDatabase + " on " + this, sql, e);
                }
            }
        }
    }

    /** The database that administrative statements run in (postgres, or the one of CDC_TEST_JDBC_URL). */
    String maintenanceDatabase() {
        return maintenanceDatabase;
    }

    /** The first column of the first row of {@code sql} in {@code database}, as text. */
    String queryString(String database, String sql) {
        try (Connection c = connect(database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new TestSqlException(database + " on " + this, sql, e);
        }
    }

    /** The name prefix for a database made for {@code hint}: a valid, lower-case SQL identifier. */
    static String databaseNamePrefix(String hint) {
        String s = hint == null ? "" : hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_");
        s = s.replaceAll("_+", "_").replaceAll("^_|_$", "");
        if (s.isEmpty()) {
            s = "db";
        }
        if (!Character.isLetter(s.charAt(0))) {
            s = "db_" + s;
        }
        if (s.length() > MAX_DATABASE_NAME_PREFIX) {
            s = s.substring(0, MAX_DATABASE_NAME_PREFIX).replaceAll("_$", "");
        }
        return s;
    }

    /** {@code name} quoted as an SQL identifier. */
    static String quoteIdentifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** Describes the server without its password. */
    @Override
    public String toString() {
        return "PostgresServer[" + origin + " " + host + ":" + port + ", user " + adminUser + ", version "
                + serverVersionNum + ", " + description + "]";
    }
}
