package io.cdckit.trigger;

import io.cdckit.api.TableId;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The reader's wake-up call: a connection that LISTENs on the log's channel, on which the
 * triggers NOTIFY once per changing statement. PostgreSQL delivers a notification only when the
 * notifying transaction commits, so a wake-up means "a batch may be ready". Waiting here replaces
 * busy polling; the poll interval is only the fallback (for {@code cdc.trigger.notify=false}, or a
 * lost connection).
 */
final class ChangeNotifications implements AutoCloseable {

    private final Connection connection;
    private final PGConnection pg;

    ChangeNotifications(Connection connection, String channel) throws SQLException {
        this.connection = connection;
        this.pg = connection.unwrap(PGConnection.class);
        try (Statement st = connection.createStatement()) {
            st.execute("LISTEN " + TableId.quote(channel));
        }
    }

    /** Waits until a notification arrives or {@code timeout} passes; consumes what arrived. */
    void await(Duration timeout) throws SQLException {
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        pg.getNotifications(ms);
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
