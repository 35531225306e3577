package io.cdckit.testkit;

import java.sql.SQLException;

/**
 * An SQL statement run by the test fixture failed. The message names the statement and the
 * server's error; the cause is the driver's {@link SQLException}.
 */
public final class TestSqlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The statement that failed. */
    private final String sql;

    /**
     * A failure of {@code sql}.
     *
     * @param what where it ran, e.g. the database name
     * @param sql the statement
     * @param cause the driver's exception
     */
    public TestSqlException(String what, String sql, SQLException cause) {
        super("SQL failed in " + what + " [SQLState " + cause.getSQLState() + "]: " + cause.getMessage()
                + "\n  statement: " + sql, cause);
        this.sql = sql;
    }

    /** The statement that failed. */
    public String sql() {
        return sql;
    }

    /** The SQLState of the server's error, e.g. {@code 42P01} for an unknown table; may be null. */
    public String sqlState() {
        return ((SQLException) getCause()).getSQLState();
    }
}
