package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.Position;
import io.cdckit.api.RowFilters;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.DdlLockWait;
import io.cdckit.api.jdbc.SourceConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.util.List;
import java.util.Map;

/**
 * What both log engines check and prepare before they read, on a borrowed connection: WAL level,
 * replication privilege, the captured tables and their keys, the slot (plugin, database, not held
 * by another session, not invalidated, present when a position was committed), the unlimited-WAL
 * warning, the replica identity, row filters and the publication with its column lists.
 */
final class LogPreparation {

    private static final Logger LOG = LoggerFactory.getLogger(LogPreparation.class);

    private LogPreparation() {
    }

    /**
     * Runs the checks and prepares the publication.
     *
     * @param committedLsn the LSN of the committed position, or null when there is none
     * @return the server's version number ({@code server_version_num})
     */
    static int prepare(CdcConfig config, SourceConnections connections, WatermarkSnapshot snapshots, String slot,
                       String publication, Long committedLsn) throws Exception {
        try (Connection c = connections.borrow()) {
            LogSetup setup = new LogSetup(c, DdlLockWait.of(config));
            snapshots.database(c.getCatalog());
            setup.checkWalLevel();
            setup.checkReplicationPrivilege();
            setup.checkTables(config.tables(), config.get(CdcConfig.KEY_COLUMNS));
            setup.checkSlot(slot);
            setup.checkSlotUsable(config.name(), slot, committedLsn);
            setup.warnWhenSlotWalUnlimited(config.name(), slot);
            if ("full".equals(config.get(LogConfig.REPLICA_IDENTITY))) {
                setup.useFullReplicaIdentity(config.tables());
            } else {
                setup.checkReplicaIdentityDefault(config.tables());
            }
            RowFilters filters = RowFilters.of(config);
            if (!filters.isEmpty() && setup.serverVersion() < 150000) {
                throw new CdcException("cdc.filter.* needs PostgreSQL 15 or later with cdc.mode=log (publication row "
                        + "filters); this server runs " + setup.serverVersion() + ". Upgrade, or use cdc.mode=trigger "
                        + "or timestamp.");
            }
            // columns cdc.columns.* leaves out stay on the server where the replica identity allows it
            Map<TableId, List<String>> columns = setup.serverVersion() >= PublicationColumns.MIN_SERVER_VERSION
                    ? PublicationColumns.of(c, config.tables(), config) : Map.of();
            setup.ensurePublication(publication, config.tables(), filters, columns);
            return setup.serverVersion();
        }
    }

    /**
     * {@code after}, or null when it is the position {@code LogState.drop} left for a retired
     * source: the source then starts afresh on a new slot.
     */
    static Position unlessRetired(CdcConfig config, Position after, String slot) {
        if (after != null && LogState.isRetired(after)) {
            LOG.info("Source '{}' was retired with LogState.drop ({}): starting afresh on a new slot {} "
                    + "(cdc.snapshot.mode={})", config.name(), after.fields(), slot,
                    config.get(CdcConfig.SNAPSHOT_MODE));
            return null;
        }
        return after;
    }

    /** The LSN a committed position names, or null. */
    static Long committedLsn(Position after) {
        return after != null && after.fields().get("lsn") instanceof Number lsn ? lsn.longValue() : null;
    }
}
