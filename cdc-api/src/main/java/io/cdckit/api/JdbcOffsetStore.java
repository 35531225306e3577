package io.cdckit.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Positions in a table of a PostgreSQL database, one row per source:
 * {@code (source_name text PRIMARY KEY, position jsonb NOT NULL, updated_at timestamptz)}.
 *
 * <p>Connects on first use through {@link DriverManager} (the PostgreSQL driver must be on the
 * classpath), creates the schema and table when they do not exist yet, and writes in autocommit
 * mode, so {@link #save} returns once the row is committed. A failed statement closes the
 * connection and, unless a new connection cannot help (rejected login, missing privilege, bad
 * statement or value), is retried once on a new one.
 *
 * <p>The password never appears in a message, a log line or {@link #toString()}.
 */
final class JdbcOffsetStore implements OffsetStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcOffsetStore.class);

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)([^&;]*)");
    private static final Pattern URL_USER_INFO = Pattern.compile("(//[^/?#@:]*:)([^/?#@]*)@");
    private static final String MASK = "******";
    /** Literal occurrences of shorter passwords are not masked: that would garble every message. */
    private static final int MIN_MASKED_LENGTH = 4;

    private final String url;
    private final String user;
    private final String password;
    private final String schema;
    private final String table;
    private final String qualified;
    private final String maskedUrl;
    private final List<String> secrets = new ArrayList<>();

    private Connection connection;
    private boolean tableReady;
    private boolean closed;

    JdbcOffsetStore(String url, String user, String password, String schema, String table) {
        this.url = Objects.requireNonNull(url, "url");
        this.user = user;
        this.password = password;
        this.schema = Objects.requireNonNull(schema, "schema");
        this.table = Objects.requireNonNull(table, "table");
        if (schema.isEmpty() || table.isEmpty()) {
            throw new CdcException("The offset table needs a schema and a name: set cdc.offset.jdbc.schema and "
                    + "cdc.offset.jdbc.table to non-empty values.");
        }
        this.qualified = TableId.quote(schema) + "." + TableId.quote(table);
        if (password != null && password.length() >= MIN_MASKED_LENGTH) {
            secrets.add(password);
        }
        for (Pattern p : List.of(URL_PASSWORD, URL_USER_INFO)) {
            Matcher m = p.matcher(url);
            while (m.find()) {
                if (m.group(2).length() >= MIN_MASKED_LENGTH) {
                    secrets.add(m.group(2));
                }
            }
        }
        this.maskedUrl = maskUrl(url);
    }

    @Override
    public synchronized Optional<Position> load(String sourceName) {
        Objects.requireNonNull(sourceName, "sourceName");
        ensureOpen();
        String json = run("Loading the position of source '" + sourceName + "'", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT \"position\"::text FROM " + qualified + " WHERE source_name = ?")) {
                ps.setString(1, sourceName);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(PositionJson.fromJson(json));
        } catch (IllegalArgumentException e) {
            String literal = "'" + sourceName.replace("'", "''") + "'";
            throw new CdcException("The position of source '" + sourceName + "' in offset table " + displayTable()
                    + " is invalid: " + e.getMessage() + ". Correct the row, or delete it to start over ("
                    + "DELETE FROM " + qualified + " WHERE source_name = " + literal + "), which makes the "
                    + "source start again from the beginning, as if it had never run.");
        }
    }

    @Override
    public synchronized void save(String sourceName, Position position) {
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(position, "position");
        ensureOpen();
        String json = PositionJson.toJson(position);
        run("Saving the position of source '" + sourceName + "'", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + qualified
                    + " (source_name, \"position\") VALUES (?, CAST(? AS jsonb))"
                    + " ON CONFLICT (source_name) DO UPDATE SET \"position\" = EXCLUDED.\"position\","
                    + " updated_at = now()")) {
                ps.setString(1, sourceName);
                ps.setString(2, json);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Closes the connection; the store can no longer be used. */
    @Override
    public synchronized void close() {
        closed = true;
        closeConnection();
    }

    @Override
    public String toString() {
        return "jdbc offset table " + displayTable() + " at " + maskedUrl;
    }

    // ------------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface SqlWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    /** Runs {@code work} after making sure the table exists; reconnects and tries once more when that may help. */
    private <T> T run(String what, SqlWork<T> work) {
        try {
            return runOnce(work);
        } catch (SQLException first) {
            if (!worthRetrying(first)) {
                closeConnection();
                throw failure(what, first);
            }
            LOG.warn("{} failed on {}: {} (SQLState {}); reconnecting and trying once more", what, this,
                    scrub(first.getMessage()), first.getSQLState());
            closeConnection();
            try {
                return runOnce(work);
            } catch (SQLException second) {
                closeConnection();
                throw failure(what, second);
            }
        }
    }

    private <T> T runOnce(SqlWork<T> work) throws SQLException {
        Connection c = connection();
        ensureTable(c);
        return work.apply(c);
    }

    private Connection connection() throws SQLException {
        if (connection != null) {
            return connection;
        }
        try {
            DriverManager.getDriver(url);
        } catch (SQLException e) {
            throw new CdcException("No JDBC driver accepts " + maskedUrl + ", so the offset table "
                    + displayTable() + " cannot be reached: check the URL (jdbc:postgresql://host:port/database) "
                    + "and that org.postgresql:postgresql is on the runtime classpath.");
        }
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        Connection c = DriverManager.getConnection(url, props);
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        connection = c;
        return c;
    }

    private void ensureTable(Connection c) throws SQLException {
        if (tableReady) {
            return;
        }
        // Look first: creating needs privileges that a pre-created table makes unnecessary.
        if (!exists(c, "SELECT 1 FROM pg_catalog.pg_class t JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"
                + " WHERE n.nspname = ? AND t.relname = ?", schema, table)) {
            create(c);
        }
        tableReady = true;
    }

    private void create(Connection c) throws SQLException {
        boolean schemaExists = exists(c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?", schema);
        if (!schemaExists) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema));
            } catch (SQLException e) {
                if (isPrivilegeError(e)) {
                    throw cannotCreate(c, e, "GRANT CREATE ON DATABASE " + TableId.quote(database(c)) + " TO "
                            + TableId.quote(currentUser(c)) + ";");
                }
                throw e;
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute(createTableSql());
        } catch (SQLException e) {
            if (isPrivilegeError(e)) {
                throw cannotCreate(c, e, "GRANT USAGE, CREATE ON SCHEMA " + TableId.quote(schema) + " TO "
                        + TableId.quote(currentUser(c)) + ";");
            }
            // Another process may have created it at the same moment.
            if (!exists(c, "SELECT 1 FROM pg_catalog.pg_class t JOIN pg_catalog.pg_namespace n"
                    + " ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ?", schema, table)) {
                throw e;
            }
        }
        LOG.info("Created offset table {}", displayTable());
    }

    private String createTableSql() {
        return "CREATE TABLE IF NOT EXISTS " + qualified + " (source_name text PRIMARY KEY, position jsonb NOT NULL,"
                + " updated_at timestamptz NOT NULL DEFAULT now())";
    }

    private CdcException cannotCreate(Connection c, SQLException e, String grant) {
        String role = TableId.quote(currentUser(c));
        return new CdcException("The offset table " + displayTable() + " does not exist and database user " + role
                + " may not create it (" + scrub(e.getMessage()) + "). Either allow it: " + grant
                + " Or have a DBA create the table once: CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema)
                + "; " + createTableSql() + "; GRANT USAGE ON SCHEMA " + TableId.quote(schema) + " TO " + role
                + "; GRANT SELECT, INSERT, UPDATE ON " + qualified + " TO " + role + ";"
                + " Or point cdc.offset.jdbc.schema and cdc.offset.jdbc.table to a table it may create.",
                scrubbed(e));
    }

    private CdcException failure(String what, SQLException e) {
        StringBuilder msg = new StringBuilder(what).append(" failed on ").append(this).append(": ")
                .append(scrub(e.getMessage())).append(" (SQLState ").append(e.getSQLState()).append(").");
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (isPrivilegeError(e)) {
            String role = user == null ? "<user>" : TableId.quote(user);
            msg.append(" Grant access to the offset table: GRANT USAGE ON SCHEMA ").append(TableId.quote(schema))
                    .append(" TO ").append(role).append("; GRANT SELECT, INSERT, UPDATE ON ").append(qualified)
                    .append(" TO ").append(role).append(';');
        } else if (state.startsWith("28")) {
            msg.append(" Check cdc.jdbc.user and cdc.jdbc.password.");
        } else if (state.startsWith("08")) {
            msg.append(" Check that the database is up and reachable at ").append(maskedUrl).append('.');
        }
        return new CdcException(msg.toString(), scrubbed(e));
    }

    /**
     * Whether a new connection might succeed where this one failed: not after a rejected login
     * (retrying could lock the account), a missing privilege, or a bad statement or value.
     */
    private static boolean worthRetrying(SQLException e) {
        String state = e.getSQLState();
        return state == null || !(state.startsWith("28") || state.startsWith("42") || state.startsWith("22"));
    }

    private static boolean isPrivilegeError(SQLException e) {
        return "42501".equals(e.getSQLState());
    }

    private static boolean exists(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private String currentUser(Connection c) {
        String u = queryQuietly(c, "SELECT current_user");
        return u != null ? u : user != null ? user : "<user>";
    }

    private static String database(Connection c) {
        String d = queryQuietly(c, "SELECT current_database()");
        return d != null ? d : "<database>";
    }

    private static String queryQuietly(Connection c, String sql) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    private String displayTable() {
        return new TableId(schema, table).toString();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("offset store " + this + " is closed");
        }
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        tableReady = false;
        if (c != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // the connection is gone either way
        }
    }

    // ------------------------------------------------------------------ keeping the password out

    private static String maskUrl(String url) {
        String s = URL_PASSWORD.matcher(url).replaceAll("$1" + MASK);
        return URL_USER_INFO.matcher(s).replaceAll("$1" + MASK + "@");
    }

    /** The text with the password, and any URL password parameter, masked. */
    private String scrub(String text) {
        if (text == null) {
            return null;
        }
        String s = text;
        for (String secret : secrets) {
            s = s.replace(secret, MASK);
        }
        return maskUrl(s);
    }

    /** {@code t} itself when no message in its chain holds a secret, else a masked copy of the chain. */
    private Throwable scrubbed(Throwable t) {
        return leaks(t, 0) ? copy(t, 0) : t;
    }

    private boolean leaks(Throwable t, int depth) {
        if (t == null || depth > 20) {
            return false;
        }
        String m = t.getMessage();
        if (m != null && !m.equals(scrub(m))) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (leaks(s, depth + 1)) {
                return true;
            }
        }
        if (t instanceof SQLException sql && leaks(sql.getNextException(), depth + 1)) {
            return true;
        }
        return leaks(t.getCause(), depth + 1);
    }

    private Throwable copy(Throwable t, int depth) {
        if (t == null || depth > 20) {
            return null;
        }
        Throwable c;
        if (t instanceof SQLException sql) {
            SQLException s = new SQLException(t.getClass().getName() + ": " + scrub(t.getMessage()),
                    sql.getSQLState(), sql.getErrorCode());
            SQLException next = (SQLException) copyNext(sql.getNextException(), depth);
            if (next != null) {
                s.setNextException(next);
            }
            c = s;
        } else {
            c = new Exception(t.getClass().getName() + ": " + scrub(t.getMessage()));
        }
        c.setStackTrace(t.getStackTrace());
        Throwable cause = t.getCause();
        if (cause != null && cause != t) {
            c.initCause(copy(cause, depth + 1));
        }
        for (Throwable s : t.getSuppressed()) {
            Throwable sc = copy(s, depth + 1);
            if (sc != null) {
                c.addSuppressed(sc);
            }
        }
        return c;
    }

    private Throwable copyNext(SQLException next, int depth) {
        return next == null ? null : copy(next, depth + 1);
    }
}
