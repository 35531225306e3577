package io.cdckit.connect;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.TablePatterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code cdc.tables.include} on Connect: the connector resolves the patterns when it starts and
 * every {@code cdc.tables.refresh-interval}; when the set of tables changed, it asks Connect to
 * reconfigure the tasks, which then restart with the new explicit list and adopt the new tables
 * after their committed offsets (as an embedded source reopens its reader).
 */
final class TableWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TableWatch.class);

    private final CdcConfig config;
    private final TablePatterns patterns;
    private final SourceConnections connections;
    private final Runnable reconfigure;
    private final ScheduledExecutorService timer;
    private volatile List<TableId> tables;

    private TableWatch(CdcConfig config, SourceConnections connections, Runnable reconfigure) {
        this.config = config;
        this.patterns = TablePatterns.of(config);
        this.connections = connections;
        this.reconfigure = reconfigure;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cdckit-table-watch-" + config.name());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Resolves the patterns now and starts watching.
     *
     * @throws CdcException when the patterns select no table or the database cannot be read
     */
    static TableWatch start(CdcConfig config, Runnable reconfigure) {
        SourceConnections connections = SourceConnections.create(config);
        TableWatch w = new TableWatch(config, connections, reconfigure);
        try {
            w.tables = w.resolve();
        } catch (SQLException e) {
            w.close();
            throw new CdcException("cdckit connector '" + config.name() + "' could not read the catalog to resolve "
                    + "cdc.tables.include: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        long every = config.get(CdcConfig.TABLES_REFRESH_INTERVAL).toMillis();
        w.timer.scheduleWithFixedDelay(w::refresh, every, every, TimeUnit.MILLISECONDS);
        LOG.info("cdckit connector '{}' captures {} (cdc.tables.include), looking again every {} ms", config.name(),
                w.tables, every);
        return w;
    }

    /** The tables the patterns select, as last resolved. */
    List<TableId> tables() {
        return tables;
    }

    private List<TableId> resolve() throws SQLException {
        try (Connection c = connections.borrow()) {
            return patterns.resolve(c);
        }
    }

    private void refresh() {
        try {
            List<TableId> now = resolve();
            if (!new HashSet<>(now).equals(new HashSet<>(tables))) {
                LOG.info("cdckit connector '{}': the tables matched by cdc.tables.include changed from {} to {}; "
                        + "reconfiguring the tasks", config.name(), tables, now);
                tables = now;
                reconfigure.run();
            }
        } catch (CdcException | SQLException e) {
            LOG.warn("cdckit connector '{}' could not resolve cdc.tables.include ({}); it keeps {} and tries again",
                    config.name(), e.getMessage(), tables);
        } catch (RuntimeException e) {
            LOG.warn("cdckit connector '{}' failed to look for new tables; it tries again", config.name(), e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        connections.close();
    }
}
