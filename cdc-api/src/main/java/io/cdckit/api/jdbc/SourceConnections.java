package io.cdckit.api.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.CredentialsProvider;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The one way a source gets its connections; every strategy, the offset store and the install
 * code go through it.
 *
 * <ul>
 *   <li>{@link #borrow()}: a connection for short work that leaves no state in the session
 *       (offset store, checks, installs, snapshot chunks), from a small HikariCP pool the
 *       source owns ({@code cdc.pool.*}), or from the application's own {@link DataSource};
 *       closing it returns it.</li>
 *   <li>{@link #open(String)}: a connection of its own for work that keeps state in the session
 *       (replication, LISTEN, advisory locks, snapshot transactions), opened with the same
 *       settings and closed by its user.</li>
 * </ul>
 *
 * <p>Every connection cdckit opens carries {@code ApplicationName=cdckit:<cdc.name>} (so a DBA
 * sees the source in {@code pg_stat_activity}), the connect and login timeouts of
 * {@code cdc.jdbc.connect-timeout}, TCP keepalives and the driver properties of
 * {@code cdc.jdbc.properties.*}. The password is asked from the {@link CredentialsProvider} each
 * time a connection is opened, else it is {@code cdc.jdbc.password}. Passwords never reach a
 * message: see {@link #masking()}.
 */
public final class SourceConnections implements AutoCloseable {

    /** What every application name of a source starts with. */
    public static final String APPLICATION_NAME_PREFIX = "cdckit:";

    private final String sourceName;
    private final String url;
    private final String user;
    private final String password;
    private final CredentialsProvider credentials;
    private final Map<String, String> driverProperties;
    private final int connectTimeoutSeconds;
    private final DataSource given;
    private final String givenDescription;
    private final HikariConfig poolConfig;
    private final Masking masking = new Masking();
    private HikariDataSource pool;
    private boolean closed;

    private SourceConnections(CdcConfig config, DataSource given, CredentialsProvider credentials) {
        this.sourceName = config.name();
        this.given = given;
        this.credentials = credentials;
        Map<String, String> props = new TreeMap<>();
        String u = config.jdbcUrl();
        String usr = config.jdbcUser();
        String pw = config.jdbcPassword();
        HikariDataSource hikari = given == null ? null : unwrapHikari(given);
        if (u == null && hikari != null && hikari.getJdbcUrl() != null) {
            u = hikari.getJdbcUrl();
            usr = usr != null ? usr : hikari.getUsername();
            pw = pw != null ? pw : hikari.getPassword();
            // the pool's properties, but not its application name: these connections are the source's
            hikari.getDataSourceProperties().forEach((k, v) -> {
                if (!k.toString().equalsIgnoreCase("ApplicationName")) {
                    props.put(k.toString(), String.valueOf(v));
                }
            });
        }
        props.putAll(config.withPrefix("cdc.jdbc.properties."));
        this.url = u;
        this.user = usr;
        this.password = pw;
        this.driverProperties = Map.copyOf(props);
        this.connectTimeoutSeconds = (int) Math.max(1, config.get(CdcConfig.JDBC_CONNECT_TIMEOUT).toSeconds());
        this.givenDescription = given == null ? null : given.getClass().getName();
        rememberSecrets();
        this.poolConfig = given != null ? null : poolConfig(config.get(CdcConfig.POOL_MAX_SIZE),
                config.get(CdcConfig.POOL_CONNECTION_TIMEOUT), config.get(CdcConfig.POOL_MAX_LIFETIME));
    }

    private SourceConnections(String name, String url, String user, String password) {
        this.sourceName = name;
        this.given = null;
        this.credentials = null;
        this.url = url;
        this.user = user;
        this.password = password;
        this.driverProperties = Map.of();
        this.connectTimeoutSeconds = (int) CdcConfig.JDBC_CONNECT_TIMEOUT.defaultValue().toSeconds();
        this.givenDescription = null;
        rememberSecrets();
        this.poolConfig = poolConfig(1, CdcConfig.POOL_CONNECTION_TIMEOUT.defaultValue(),
                CdcConfig.POOL_MAX_LIFETIME.defaultValue());
    }

    private void rememberSecrets() {
        masking.add(password).add(url);
        driverProperties.forEach((k, v) -> {
            if (k.toLowerCase(Locale.ROOT).contains("password")) {
                masking.add(v);
            }
        });
    }

    private HikariConfig poolConfig(int maxSize, Duration connectionTimeout, Duration maxLifetime) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("cdckit-" + sourceName);
        hc.setDataSource(SourceDataSource.opening(this));
        hc.setMaximumPoolSize(maxSize);
        hc.setMinimumIdle(0);
        hc.setConnectionTimeout(connectionTimeout.toMillis());
        hc.setMaxLifetime(maxLifetime.toMillis());
        hc.setAutoCommit(true);
        return hc;
    }

    /**
     * Connections to {@code url} as {@code user} with default settings and a pool of one, for
     * code that has a URL but no source config (an offset store made by hand).
     */
    public static SourceConnections forUrl(String name, String url, String user, String password) {
        return new SourceConnections(Objects.requireNonNull(name, "name"), Objects.requireNonNull(url, "url"), user,
                password);
    }

    /** Connections from the config's URL, user and password, pooled in a pool of their own. */
    public static SourceConnections create(CdcConfig config) {
        return create(config, null, null);
    }

    /**
     * Connections for {@code config}.
     *
     * @param dataSource  the application's pool to borrow short-lived connections from, or null for
     *                    a pool of the source's own; dedicated connections then use {@code cdc.jdbc.url}
     *                    or, when that is not set, the URL, user, password and properties of a
     *                    HikariCP {@code dataSource}
     * @param credentials asked for the password whenever a connection is opened, or null for
     *                    {@code cdc.jdbc.password}
     */
    public static SourceConnections create(CdcConfig config, DataSource dataSource, CredentialsProvider credentials) {
        return new SourceConnections(Objects.requireNonNull(config, "config"), dataSource, credentials);
    }

    /**
     * Fails, naming the fix, when no JDBC URL is known for dedicated connections: neither
     * {@code cdc.jdbc.url} nor a HikariCP DataSource that tells its URL.
     *
     * @param who what needs it, e.g. {@code "cdc.mode=trigger"}
     */
    public SourceConnections requireUrl(String who) {
        if (url == null) {
            throw new CdcException(who + " needs cdc.jdbc.url: set it to the database to capture, e.g. "
                    + "jdbc:postgresql://localhost:5432/shop"
                    + (given == null ? "." : ". The DataSource given (" + givenDescription + ") is used for short "
                    + "work only and does not tell its URL (only a HikariDataSource with a jdbcUrl does); the "
                    + "connections that replicate, listen or hold locks are opened from cdc.jdbc.url, with "
                    + "cdc.jdbc.user and cdc.jdbc.password or a CredentialsProvider."));
        }
        return this;
    }

    /** The JDBC URL of dedicated connections, or null; may hold a password: show only {@link #describe()}. */
    public String url() {
        return url;
    }

    /** The database user, or null. */
    public String user() {
        return user;
    }

    /** The source's name, {@code cdc.name}. */
    public String sourceName() {
        return sourceName;
    }

    /** The application name every connection of this source carries: {@code cdckit:<cdc.name>}. */
    public String applicationName() {
        return APPLICATION_NAME_PREFIX + sourceName;
    }

    /** The URL with its passwords masked, and the user: for messages. */
    public String describe() {
        return (url == null ? "<no cdc.jdbc.url>" : Masking.maskUrl(url)) + (user == null ? "" : " as " + user);
    }

    /** The masking that knows this source's passwords, including each one the provider handed out. */
    public Masking masking() {
        return masking;
    }

    /**
     * The password to log in with now: asked from the {@link CredentialsProvider} when there is
     * one, else {@code cdc.jdbc.password}. For code that hands credentials on (Debezium); never
     * log it.
     *
     * @throws SQLException (SQLState 08001, so a reconnect tries again) when the provider fails
     */
    public String password() throws SQLException {
        if (credentials == null) {
            return password;
        }
        try {
            String p = credentials.password(user);
            masking.add(p);
            return p;
        } catch (Exception e) {
            throw new SQLException("The CredentialsProvider gave no password for user " + user + ": "
                    + masking.scrub(e.getMessage()), "08001", masking.scrubbed(e));
        }
    }

    /**
     * The driver properties every connection gets ({@code cdc.jdbc.properties.*}, and those of a
     * HikariCP DataSource the URL came from), without user and password; for code that opens
     * connections itself (Debezium).
     */
    public Map<String, String> driverProperties() {
        return driverProperties;
    }

    /** {@code cdc.jdbc.connect-timeout} in whole seconds. */
    public int connectTimeoutSeconds() {
        return connectTimeoutSeconds;
    }

    /** A connection of its own for work that keeps session state; the caller closes it. */
    public Connection open(String purpose) throws SQLException {
        return open(purpose, new Properties());
    }

    /**
     * A connection of its own with {@code extra} driver properties on top (e.g. a socket factory).
     *
     * @param purpose what it is for, named in the error when it cannot be opened
     * @throws SQLException with the driver's SQLState, a masked message that names the fix, and
     *                      a masked copy of the driver's error as the cause
     */
    public Connection open(String purpose, Properties extra) throws SQLException {
        ensureOpen();
        requireUrl("Opening a connection");
        DriverUrlCheck.requireAccepted(url);
        Properties p = new Properties();
        p.setProperty("connectTimeout", String.valueOf(connectTimeoutSeconds));
        p.setProperty("loginTimeout", String.valueOf(connectTimeoutSeconds));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("ApplicationName", applicationName());
        p.putAll(driverProperties);
        p.putAll(extra);
        if (user != null) {
            p.setProperty("user", user);
        }
        String pw = password();
        if (pw != null) {
            p.setProperty("password", pw);
        }
        try {
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            throw connectFailure(purpose, e);
        }
    }

    /**
     * A connection for short work that leaves no session state behind, from the source's pool
     * (created on first use) or the application's DataSource; closing it returns it.
     */
    public Connection borrow() throws SQLException {
        if (given != null) {
            ensureOpen();
            try {
                return given.getConnection();
            } catch (SQLException e) {
                throw new SQLException("Cannot borrow a connection from the application's DataSource ("
                        + givenDescription + "): " + masking.scrub(e.getMessage()), e.getSQLState(),
                        masking.scrubbed(e));
            }
        }
        HikariDataSource p = pool();
        try {
            return p.getConnection();
        } catch (SQLException e) {
            throw new SQLException("Cannot borrow a connection from the pool of source '" + sourceName + "' ("
                    + describe() + "): " + masking.scrub(e.getMessage()), e.getSQLState(), masking.scrubbed(e));
        }
    }

    /** {@link #borrow()} as a DataSource, e.g. for Jdbi. */
    public DataSource pooled() {
        return SourceDataSource.borrowing(this);
    }

    private synchronized HikariDataSource pool() throws SQLException {
        ensureOpen();
        if (pool == null) {
            try {
                pool = new HikariDataSource(poolConfig);
            } catch (HikariPool.PoolInitializationException e) {
                if (e.getCause() instanceof SQLException sql) {
                    throw sql;
                }
                throw new SQLException("Cannot start the pool of source '" + sourceName + "': "
                        + masking.scrub(e.getMessage()), "08001", masking.scrubbed(e));
            }
        }
        return pool;
    }

    private synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the connections of source '" + sourceName + "' are closed");
        }
    }

    private SQLException connectFailure(String purpose, SQLException e) {
        String msg = masking.scrub(e.getMessage());
        return new SQLException("Cannot connect to " + describe() + " (" + purpose + "): " + msg + ". "
                + fixFor(e.getSQLState(), msg), e.getSQLState(), e.getErrorCode(), masking.scrubbed(e));
    }

    /**
     * What to check when opening a connection failed with {@code sqlState} and {@code message}:
     * the credentials, the TLS settings, the database name, or the URL and the server's reachability.
     * Also for code that opens connections itself (Debezium) and reports their failures.
     */
    public String fixFor(String sqlState, String message) {
        String state = sqlState == null ? "" : sqlState;
        if (state.startsWith("28")) {
            return credentials == null ? "Check cdc.jdbc.user and cdc.jdbc.password."
                    : "Check cdc.jdbc.user and the password the CredentialsProvider gives.";
        }
        if (message != null && message.toLowerCase(Locale.ROOT).contains("ssl")) {
            return "Check the TLS settings: cdc.jdbc.properties.sslmode, sslrootcert (the certificate of the CA that "
                    + "signed the server's), sslcert and sslkey.";
        }
        if (state.startsWith("3D")) {
            return "Check the database name in cdc.jdbc.url.";
        }
        return "Check cdc.jdbc.url, that the database is up and reachable from here, and pg_hba.conf.";
    }

    /**
     * True when {@code t} or a cause of it is a lost or refused connection (SQLState class 08, or
     * 57P: the server shutting down, starting up or in recovery): something waiting and
     * reconnecting can fix, unlike a setup problem.
     */
    public static boolean isConnectionFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
            if (c instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** Closes the pool the source owns (an application's DataSource is left open). */
    @Override
    public void close() {
        HikariDataSource p;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            p = pool;
            pool = null;
        }
        if (p != null) {
            p.close();
        }
    }

    @Override
    public String toString() {
        return "SourceConnections{" + sourceName + ", " + describe()
                + (given != null ? ", borrowing from " + givenDescription : ", own pool") + "}";
    }

    private static HikariDataSource unwrapHikari(DataSource ds) {
        if (ds instanceof HikariDataSource h) {
            return h;
        }
        try {
            return ds.isWrapperFor(HikariDataSource.class) ? ds.unwrap(HikariDataSource.class) : null;
        } catch (SQLException e) {
            return null;
        }
    }
}
