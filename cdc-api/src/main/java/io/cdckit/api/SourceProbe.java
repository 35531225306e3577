package io.cdckit.api;

import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;

/**
 * What a source learns about the database for {@code metrics()} and {@code status()}, measured on
 * the caller's thread at most every {@code cdc.metrics.backlog-interval}: the strategy's backlog,
 * and an estimate of a running snapshot's rows.
 */
final class SourceProbe {

    private static final Logger LOG = LoggerFactory.getLogger(SourceProbe.class);

    private final String name;
    private final SourceConnections connections;
    private final long intervalNanos;
    private final Object lock = new Object();
    private long backlogAt;
    private Backlog backlog = Backlog.UNKNOWN;
    private long estimatedAt;
    private List<TableId> estimatedTables;
    private long estimatedLeft = -1;

    SourceProbe(String name, SourceConnections connections, Duration interval) {
        this.name = name;
        this.connections = connections;
        this.intervalNanos = interval.toNanos();
    }

    /** The backlog last measured, measured again by {@code reader} (null: not running) when it is old. */
    Backlog backlog(ChangeReader reader) {
        synchronized (lock) {
            long now = System.nanoTime();
            if (reader != null && (backlogAt == 0 || now - backlogAt >= intervalNanos)) {
                backlogAt = now;
                try {
                    backlog = reader.backlog();
                } catch (Exception e) {
                    LOG.debug("Measuring the backlog of source '{}' failed", name, e);
                }
            }
            return backlog;
        }
    }

    /**
     * Rows done plus PostgreSQL's estimate of the rows of the tables left ({@code reltuples}, the
     * current table whole), or -1 while unknown.
     */
    long estimate(SnapshotProgress progress) {
        synchronized (lock) {
            long now = System.nanoTime();
            if (!progress.tables().equals(estimatedTables) || now - estimatedAt >= intervalNanos) {
                estimatedAt = now;
                estimatedTables = progress.tables();
                try (Connection c = connections.borrow(); PreparedStatement ps = c.prepareStatement(
                        "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_catalog.pg_class c "
                                + "WHERE c.oid = ANY (CAST(? AS regclass[]))")) {
                    ps.setArray(1, c.createArrayOf("text", progress.tables().stream().map(TableId::quoted).toArray()));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        estimatedLeft = rs.getLong(1);
                    }
                } catch (Exception e) {
                    estimatedLeft = -1;
                }
            }
            return estimatedLeft < 0 ? -1 : progress.rows() + estimatedLeft;
        }
    }
}
