package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.TableColumns;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.DdlLockWait;

import java.time.Duration;
import java.util.List;

/**
 * The validated settings one timestamp reader runs with.
 *
 * @param name           {@code cdc.name}
 * @param tables         {@code cdc.tables}
 * @param snapshot       true for {@code cdc.snapshot.mode=initial}
 * @param column         {@code cdc.timestamp.column}
 * @param createdColumn  {@code cdc.timestamp.created-column}, or null
 * @param deletedColumn  {@code cdc.timestamp.deleted-column}, or null
 * @param delay          {@code cdc.timestamp.delay}
 * @param reconcileEvery {@code cdc.timestamp.reconcile.every-polls}; 0 means no key tracking
 * @param chunkSize      {@code cdc.timestamp.reconcile.chunk-size}
 * @param stateSchema    {@code cdc.timestamp.state-schema}
 * @param installTrigger {@code cdc.timestamp.install-trigger}
 * @param ddl            how installing the trigger waits for a table's lock ({@code cdc.ddl.*})
 * @param snapshotChunkSize {@code cdc.snapshot.chunk-size}: rows a snapshot reads per chunk
 * @param keys              {@code cdc.key.columns}
 * @param columns           {@code cdc.columns.*}: the columns polls and snapshots read
 * @param filters           {@code cdc.filter.*}: the rows polls and snapshots deliver
 */
record TimestampSettings(String name, List<TableId> tables,
                         boolean snapshot, String column, String createdColumn, String deletedColumn,
                         Duration delay, int reconcileEvery, int chunkSize, String stateSchema,
                         boolean installTrigger, DdlLockWait ddl, int snapshotChunkSize, TableColumns keys,
                         io.cdckit.api.ColumnSelection columns, io.cdckit.api.RowFilters filters) {

    static TimestampSettings from(CdcConfig c) {
        return new TimestampSettings(c.name(), c.tables(),
                "initial".equals(c.get(CdcConfig.SNAPSHOT_MODE)), c.get(TimestampChangeSourceProvider.COLUMN),
                c.get(TimestampChangeSourceProvider.CREATED_COLUMN), c.get(TimestampChangeSourceProvider.DELETED_COLUMN),
                c.get(TimestampChangeSourceProvider.DELAY), c.get(TimestampChangeSourceProvider.RECONCILE_EVERY_POLLS),
                c.get(TimestampChangeSourceProvider.RECONCILE_CHUNK_SIZE),
                c.get(TimestampChangeSourceProvider.STATE_SCHEMA), c.get(TimestampChangeSourceProvider.INSTALL_TRIGGER),
                DdlLockWait.of(c), c.get(CdcConfig.SNAPSHOT_CHUNK_SIZE), c.get(CdcConfig.KEY_COLUMNS),
                io.cdckit.api.ColumnSelection.of(c), io.cdckit.api.RowFilters.of(c));
    }

    /** True when keys seen are kept, for the op rule and hard-delete detection. */
    boolean tracksKeys() {
        return reconcileEvery > 0;
    }

    @Override
    public String toString() {
        return "TimestampSettings{name=" + name + ", tables=" + tables + ", column=" + column + ", createdColumn="
                + createdColumn + ", deletedColumn=" + deletedColumn + ", delay=" + delay + ", reconcileEvery="
                + reconcileEvery + ", chunkSize=" + chunkSize + ", stateSchema=" + stateSchema + ", installTrigger="
                + installTrigger + ", snapshotChunkSize=" + snapshotChunkSize + "}";
    }
}
