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

    /** Longest single wait on the socket, so that an interrupt (a closing source) is noticed soon. */
    private static final long SLICE_MS = 250;

    /**
     * Waits until a notification arrives or {@code timeout} passes; consumes what arrived.
     *
     * @throws InterruptedException when the thread is interrupted (the source is closing); a
     *                              socket wait cannot be interrupted, so it waits in short slices
     */
    void await(Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (Thread.interrupted()) {
                throw new InterruptedException("the change source is closing");
            }
            long left = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return;
            }
            org.postgresql.PGNotification[] got = pg.getNotifications((int) Math.max(1, Math.min(SLICE_MS, left)));
            if (got != null && got.length > 0) {
                return;
            }
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
