package io.cdckit.benchmarks;

import io.cdckit.api.CdcConfig;
import io.cdckit.trigger.TriggerInstallation;

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

    private final Connection holder;

    private UnreadTriggers(Connection holder) {
        this.holder = holder;
    }

    static UnreadTriggers install(Strategy strategy, Orders orders) {
        Map<String, String> props = orders.database().cdcProperties();
        props.putAll(strategy.cdcProperties("bench_" + orders.database().name(), Orders.TABLE));
        TriggerInstallation.install(CdcConfig.from(props));
        Connection c = orders.database().connect();
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_catalog.pg_advisory_lock((pg_catalog.hashtext('cdckit:cdckit:reading')::bigint << 32) "
                    + "| '" + Orders.TABLE + "'::regclass::oid::bigint)");
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("Could not take the reading lock of " + Orders.TABLE, e);
        }
        return new UnreadTriggers(c);
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
