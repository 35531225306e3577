package io.cdckit.api.jdbc;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;

/**
 * {@link SourceConnections} seen as a {@link DataSource}: either the connections the source's
 * pool is filled with (each one opened like a dedicated connection, so every one asks for the
 * current password and carries the source's application name), or its borrowed connections,
 * for libraries that take a DataSource (Jdbi).
 */
final class SourceDataSource implements DataSource {

    private final SourceConnections connections;
    private final boolean borrowing;

    private SourceDataSource(SourceConnections connections, boolean borrowing) {
        this.connections = connections;
        this.borrowing = borrowing;
    }

    /** What the source's own pool opens its connections with. */
    static DataSource opening(SourceConnections connections) {
        return new SourceDataSource(connections, false);
    }

    /** {@link SourceConnections#borrow()}. */
    static DataSource borrowing(SourceConnections connections) {
        return new SourceDataSource(connections, true);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return borrowing ? connections.borrow() : connections.open("pooled");
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the user and password come from the source's configuration");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // logging goes through SLF4J
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // cdc.jdbc.connect-timeout decides
    }

    @Override
    public int getLoginTimeout() {
        return connections.connectTimeoutSeconds();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public String toString() {
        return (borrowing ? "pooled " : "opening ") + connections;
    }
}
