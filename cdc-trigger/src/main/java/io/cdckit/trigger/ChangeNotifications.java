package io.cdckit.trigger;

import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.trigger.wakeup.WakingSocketFactory;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The reader's wake-up call: a connection that LISTENs on the log's channel, on which the
 * triggers NOTIFY once per changing statement. PostgreSQL delivers a notification only when the
 * notifying transaction has committed, so a wake-up means "a batch may be ready". Waiting here
 * replaces busy polling; the poll interval is only the fallback (for {@code cdc.trigger.notify=false},
 * or a lost connection).
 *
 * <p>A daemon thread keeps reading the connection. The reader is woken as soon as bytes arrive on
 * it (through {@link WakingSocketFactory}), not when pgjdbc's {@code getNotifications} returns:
 * that call keeps reading for as long as notifications follow each other within a millisecond,
 * which busy writers do. Should a {@code socketFactory} in the JDBC URL take precedence over that
 * factory, the reader is still woken when the call returns, only later under load.
 */
final class ChangeNotifications implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeNotifications.class);

    /** Longest single wait of the listening thread, so that it notices a close soon. */
    private static final int SLICE_MS = 250;

    private final Object lock = new Object();
    private final String key;
    private final Connection connection;
    private final Thread listener;
    private boolean woken;
    private volatile boolean closed;
    private SQLException failure;

    ChangeNotifications(SourceConnections connections, String channel) throws SQLException {
        key = WakingSocketFactory.register(this::wake);
        Properties p = new Properties();
        p.setProperty("socketFactory", WakingSocketFactory.class.getName());
        p.setProperty("socketFactoryArg", key);
        Connection c = null;
        try {
            c = connections.open("change notifications", p);
            try (Statement st = c.createStatement()) {
                st.execute("LISTEN " + TableId.quote(channel));
            }
        } catch (SQLException | RuntimeException e) {
            WakingSocketFactory.unregister(key);
            if (c != null) {
                c.close();
            }
            throw e;
        }
        connection = c;
        PGConnection pg = c.unwrap(PGConnection.class);
        listener = new Thread(() -> listen(pg), "cdckit-" + connections.sourceName() + "-notifications");
        listener.setDaemon(true);
        listener.start();
    }

    private void listen(PGConnection pg) {
        try {
            while (!closed) {
                org.postgresql.PGNotification[] got = pg.getNotifications(SLICE_MS);
                if (got != null && got.length > 0) {
                    wake();
                }
            }
        } catch (SQLException | RuntimeException | Error e) {
            if (!closed) {
                LOG.debug("The notification connection failed", e);
                synchronized (lock) {
                    failure = e instanceof SQLException se ? se
                            : new SQLException("Listening for change notifications failed: " + e, "08006", e);
                    lock.notifyAll();
                }
            }
        }
    }

    private void wake() {
        synchronized (lock) {
            woken = true;
            lock.notifyAll();
        }
    }

    /**
     * Waits until something arrives on the listening connection since the last call, or until
     * {@code timeout} passes.
     *
     * @throws SQLException         when the listening connection failed
     * @throws InterruptedException when the thread is interrupted (the source is closing)
     */
    void await(Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!woken && failure == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            if (failure != null) {
                throw failure;
            }
            woken = false;
        }
    }

    @Override
    public void close() throws SQLException {
        closed = true;
        WakingSocketFactory.unregister(key);
        try {
            connection.close();
        } finally {
            try {
                listener.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
