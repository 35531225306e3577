package io.cdckit.testkit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh database on a {@link PostgresServer}, made for one test class by
 * {@link PostgresServer#createDatabase(String)} or the {@link PostgresExtension}. Its user is the
 * server's administrator, who may create replication slots and publications. {@link #drop()} (or
 * {@link #close()}) removes it with everything that holds on to it. Instances are thread-safe.
 */
public final class TestDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestDatabase.class);
    private static final long DROP_TIMEOUT_MILLIS = 30_000;

    private final PostgresServer server;
    private final String name;
    private volatile boolean dropped;

    TestDatabase(PostgresServer server, String name) {
        this.server = server;
        this.name = name;
    }

    /** The database name, a lower-case SQL identifier that needs no quoting. */
    public String name() {
        return name;
    }

    /** The JDBC URL of this database, without user or password. */
    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    /** The user to connect as. */
    public String user() {
        return server.adminUser();
    }

    /** The password of {@link #user()}. */
    public String password() {
        return server.adminPassword();
    }

    /** The server this database lives on. */
    public PostgresServer server() {
        return server;
    }

    /**
     * Opens a new connection to this database (autocommit on). The caller closes it.
     *
     * @throws TestSqlException when the connection fails
     */
    public Connection connect() {
        return server.connect(name);
    }

    /**
     * Runs each statement in turn, in autocommit mode, on one connection.
     *
     * @throws TestSqlException naming the statement that failed; the ones before it stay committed
     */
    public void execute(String... sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                try {
                    st.execute(s);
                } catch (SQLException e) {
                    throw new TestSqlException(name, s, e);
                }
            }
        } catch (SQLException e) {
            throw new TestSqlException(name, "close connection", e);
        }
    }

    /**
     * The first column of the first row of {@code sql} as a long; 0 when that value is NULL.
     *
     * @throws TestSqlException when the query fails
     * @throws IllegalStateException when it returns no row
     */
    public long queryForLong(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("No row from: " + sql);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new TestSqlException(name, sql, e);
        }
    }

    /**
     * The first column of the first row of {@code sql} as text, e.g. for {@code SHOW wal_level}.
     *
     * @throws TestSqlException when the query fails
     * @throws IllegalStateException when it returns no row
     */
    public String queryForString(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("No row from: " + sql);
            }
            return rs.getString(1);
        } catch (SQLException e) {
            throw new TestSqlException(name, sql, e);
        }
    }

    /**
     * The connection settings of this database as cdckit configuration: {@code cdc.jdbc.url},
     * {@code cdc.jdbc.user} and {@code cdc.jdbc.password}. The map is a new, modifiable copy, so a
     * test can add its own keys.
     */
    public Map<String, String> cdcProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("cdc.jdbc.url", jdbcUrl());
        p.put("cdc.jdbc.user", user());
        p.put("cdc.jdbc.password", password());
        return p;
    }

    /**
     * Removes the database: terminates its sessions (walsenders of logical replication
     * included), drops the replication slots that belong to it, then drops it. Calling it again
     * does nothing.
     *
     * @throws TestSqlException when the database cannot be dropped
     */
    public synchronized void drop() {
        if (dropped) {
            return;
        }
        long deadline = System.currentTimeMillis() + DROP_TIMEOUT_MILLIS;
        String dropSql = "DROP DATABASE IF EXISTS " + PostgresServer.quoteIdentifier(name)
                + (server.serverVersionNum() >= 130000 ? " WITH (FORCE)" : "");
        try (Connection c = server.connect(server.maintenanceDatabase())) {
            while (true) {
                terminateSessions(c);
                dropSlots(c);
                try (Statement st = c.createStatement()) {
                    st.execute(dropSql);
                    break;
                } catch (SQLException e) {
                    // 55006 object_in_use: a session or slot came back in the meantime
                    if (!"55006".equals(e.getSQLState()) || System.currentTimeMillis() > deadline) {
                        throw new TestSqlException(server.maintenanceDatabase(), dropSql, e);
                    }
                    pause();
                }
            }
        } catch (SQLException e) {
            throw new TestSqlException(server.maintenanceDatabase(), "close connection", e);
        }
        dropped = true;
        LOG.debug("Dropped database {}", name);
    }

    private void terminateSessions(Connection c) {
        String sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            ps.executeQuery().close();
        } catch (SQLException e) {
            throw new TestSqlException(server.maintenanceDatabase(), sql, e);
        }
    }

    private void dropSlots(Connection c) {
        long deadline = System.currentTimeMillis() + DROP_TIMEOUT_MILLIS;
        String list = "SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = ?";
        while (true) {
            List<String> inactive = new ArrayList<>();
            List<Integer> holders = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(list)) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int pid = rs.getInt(2);
                        if (rs.wasNull()) {
                            inactive.add(rs.getString(1));
                        } else {
                            holders.add(pid);
                        }
                    }
                }
            } catch (SQLException e) {
                throw new TestSqlException(server.maintenanceDatabase(), list, e);
            }
            if (inactive.isEmpty() && holders.isEmpty()) {
                return;
            }
            for (String slot : inactive) {
                String sql = "SELECT pg_drop_replication_slot(?)";
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, slot);
                    ps.executeQuery().close();
                } catch (SQLException e) {
                    // 55006: it became active again, 42704: someone else dropped it
                    if (!"55006".equals(e.getSQLState()) && !"42704".equals(e.getSQLState())) {
                        throw new TestSqlException(server.maintenanceDatabase(), sql + " [" + slot + "]", e);
                    }
                }
            }
            for (int pid : holders) {
                String sql = "SELECT pg_terminate_backend(?)";
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setInt(1, pid);
                    ps.executeQuery().close();
                } catch (SQLException e) {
                    throw new TestSqlException(server.maintenanceDatabase(), sql + " [" + pid + "]", e);
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("Replication slots of database " + name + " are still in use after "
                        + DROP_TIMEOUT_MILLIS / 1000 + " s");
            }
            if (!holders.isEmpty()) {
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while dropping a database", e);
        }
    }

    /** Same as {@link #drop()}. */
    @Override
    public void close() {
        drop();
    }

    /** Describes the database without the password. */
    @Override
    public String toString() {
        return "TestDatabase[" + name + ", " + jdbcUrl() + ", user " + user() + "]";
    }
}
