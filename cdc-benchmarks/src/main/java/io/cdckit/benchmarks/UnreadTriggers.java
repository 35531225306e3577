package io.cdckit.benchmarks;

import io.cdckit.api.CdcConfig;
import io.cdckit.trigger.TriggerInstallation;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * cdckit's trigger capture installed but not read, to measure what the triggers alone cost
 * writers: installed through {@link TriggerInstallation#install(CdcConfig)}, with the table's
 * "reading" advisory lock held as a reader holds it while it reads, so the triggers take the same
 * path as under a busy reader (no NOTIFY). The key is the one the trigger functions compute
 * (log schema {@code cdckit}, purpose {@code reading}, the table's oid).
 */
final class UnreadTriggers extends Capture {

    /** The default log schema (cdc.trigger.schema), which also names the NOTIFY channel. */
    private static final String SCHEMA = "cdckit";

    private final Connection holder;

    private UnreadTriggers(Connection holder) {
        this.holder = holder;
    }

    static UnreadTriggers install(Strategy strategy, Orders orders) {
        Map<String, String> props = orders.database().cdcProperties();
        props.putAll(strategy.cdcProperties("bench_" + orders.database().name(), Orders.TABLE));
        TriggerInstallation.install(CdcConfig.from(props));
        Connection c = orders.database().connect();
        try {
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext('cdckit:" + SCHEMA
                        + ":reading'), '" + Orders.TABLE + "'::regclass::oid::int4)");
            }
            checkNoNotify(orders);
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("Could not hold the reading lock of " + Orders.TABLE, e);
        }
        return new UnreadTriggers(c);
    }

    /**
     * Writes and removes one row while listening on the triggers' channel: with the reading lock
     * held, no NOTIFY may come, else the key above no longer matches the triggers' and the
     * measurement would include a NOTIFY per statement.
     */
    private static void checkNoNotify(Orders orders) throws SQLException {
        try (Connection listener = orders.database().connect(); Connection writer = orders.connect();
             Statement listen = listener.createStatement(); Statement write = writer.createStatement()) {
            listen.execute("LISTEN " + SCHEMA);
            write.executeUpdate("INSERT INTO " + Orders.TABLE + " (id, customer_id, status, amount) VALUES (-1, 0, 'check', 0)");
            write.executeUpdate("DELETE FROM " + Orders.TABLE + " WHERE id = -1");
            PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(500);
            if (received != null && received.length > 0) {
                throw new IllegalStateException("The triggers notified although the reading lock was held: "
                        + "its key no longer matches the one the trigger functions compute");
            }
        }
    }

    @Override
    public void close() {
        try {
            holder.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "cdckit triggers installed, reading lock held, not read";
    }
}
