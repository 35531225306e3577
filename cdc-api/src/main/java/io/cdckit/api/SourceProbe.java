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
    /** Per table of the running snapshot, the rows read before it; the most rows seen read. */
    private final java.util.Map<TableId, Long> rowsBefore = new java.util.HashMap<>();
    private long maxRowsSeen;

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
     * Follows the snapshot's progress (the committed one batch by batch, the reader's live one at
     * each estimate), so that {@link #estimate} knows the rows read before each table: exactly
     * when the table is first seen before its first chunk, else to within what was read between
     * two sightings. Null (no snapshot runs) forgets it, for the next snapshot.
     */
    void track(SnapshotProgress progress) {
        synchronized (lock) {
            if (progress == null) {
                rowsBefore.clear();
                maxRowsSeen = 0;
                return;
            }
            rowsBefore.computeIfAbsent(progress.table(), t -> progress.tableNotBegun() ? progress.rows() : maxRowsSeen);
            maxRowsSeen = Math.max(maxRowsSeen, progress.rows());
        }
    }

    /**
     * Rows read before the current table plus PostgreSQL's estimate of the rows of the current
     * table and the tables left ({@code reltuples}), at least the rows read; -1 while unknown.
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
            if (estimatedLeft < 0) {
                return -1;
            }
            track(progress);
            long before = rowsBefore.get(progress.table());
            return Math.max(progress.rows(), before + estimatedLeft);
        }
    }
}
