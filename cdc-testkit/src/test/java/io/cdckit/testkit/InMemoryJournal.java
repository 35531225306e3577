package io.cdckit.testkit;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test-only: a JVM-wide, in-memory journal of the changes of one database, fed by triggers that
 * {@code pg_notify} every row change. PostgreSQL delivers notifications in commit order, and
 * only for committed transactions, so the journal is the database's change history in commit
 * order from the moment the journal started listening. It outlives the sources that read it,
 * which is what lets a stopped source resume.
 */
final class InMemoryJournal {

    static final String CHANNEL = "cdckit_inmemory";
    /**
     * The listener's application name. The journal stands for a durable log (the WAL, a change
     * log table), which a killed session does not lose, so fault tests spare this session.
     */
    static final String APPLICATION_NAME = ChangeSourceContractTest.DURABLE_LOG_APPLICATION_NAME;
    private static final Logger LOG = LoggerFactory.getLogger(InMemoryJournal.class);
    private static final Map<String, InMemoryJournal> JOURNALS = new ConcurrentHashMap<>();

    /** Raw notification payloads: JSON objects with seq, op, schema, table, xid, old, new. */
    private final List<String> entries = new ArrayList<>();
    private final Connection listener;

    private InMemoryJournal(String url, String user, String password) throws SQLException {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", APPLICATION_NAME);
        listener = DriverManager.getConnection(url, props);
        try (Statement st = listener.createStatement()) {
            st.execute("LISTEN " + CHANNEL);
        }
        Thread t = new Thread(this::listen, "cdckit-inmemory-journal");
        t.setDaemon(true);
        t.start();
    }

    static InMemoryJournal forDatabase(String url, String user, String password) {
        return JOURNALS.computeIfAbsent(url, u -> {
            try {
                return new InMemoryJournal(url, user, password);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot listen on " + url, e);
            }
        });
    }

    private void listen() {
        try {
            PGConnection pg = listener.unwrap(PGConnection.class);
            while (true) {
                PGNotification[] batch = pg.getNotifications(200);
                if (batch == null) {
                    continue;
                }
                for (PGNotification n : batch) {
                    synchronized (this) {
                        entries.add(n.getParameter());
                        notifyAll();
                    }
                }
            }
        } catch (Exception e) {
            LOG.warn("in-memory journal stopped listening", e);
        }
    }

    /** Number of entries so far: the position after the latest. */
    synchronized int size() {
        return entries.size();
    }

    /** Entries from index {@code from} (0-based), at most {@code max}, waiting up to {@code waitMs}. */
    synchronized List<String> read(int from, int max, long waitMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + waitMs;
        while (entries.size() <= from) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return List.of();
            }
            wait(left);
        }
        return List.copyOf(entries.subList(from, Math.min(entries.size(), from + max)));
    }
}
