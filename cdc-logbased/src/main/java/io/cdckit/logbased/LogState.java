package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Position;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What a log source ({@code cdc.mode=log}) keeps in the database: its replication slot
 * ({@code cdc.log.slot}), which holds WAL on the server's disk until the source confirms it, and
 * its publication ({@code cdc.log.publication}). Both outlive the source; {@link #drop} removes
 * them when the source is retired, or when PostgreSQL invalidated its slot and the source is to
 * start over with a new snapshot.
 */
public final class LogState {

    private static final Logger LOG = LoggerFactory.getLogger(LogState.class);

    /** The field of the position that {@link #drop} leaves in the offset store. */
    static final String RETIRED_FIELD = "cdckit_slot_dropped";

    /** How long a slot that a source just released may still show as active. */
    private static final Duration RELEASE_WAIT = LogSetup.SLOT_RELEASE_WAIT;

    private LogState() {
    }

    /**
     * Drops the replication slot and the publication of source {@code cdc.name}, and makes it
     * forget its committed position in the offset store that {@code cdc.offset.store} names, so
     * that the next start begins afresh (a new snapshot with {@code cdc.snapshot.mode=initial})
     * instead of failing because the slot it would resume from is gone. Refuses while the slot is
     * in use, i.e. while the source runs. Safe to repeat: what is already gone is skipped.
     *
     * <p>It needs the REPLICATION attribute (or superuser) for the slot and ownership of the
     * publication: the user the source ran as. A source whose application gives it its own
     * {@link OffsetStore} uses {@link #drop(CdcConfig, OffsetStore)}.
     *
     * @throws CdcException when the source runs, the slot belongs to another database or plugin,
     *                      or the user may not drop them; nothing is forgotten then
     */
    public static void drop(CdcConfig config) {
        requireLogMode(config);
        try (OffsetStore offsets = OffsetStores.fromConfig(config)) {
            drop(config, offsets);
        }
    }

    /**
     * {@link #drop(CdcConfig)} with the offset store the source was given
     * ({@code ChangeSources.builder(config).offsetStore(offsets)}).
     */
    public static void drop(CdcConfig config, OffsetStore offsets) {
        requireLogMode(config);
        String slot = LogConfig.slot(config);
        String publication = LogConfig.publication(config);
        boolean slotDropped;
        boolean publicationDropped;
        try (SourceConnections connections = SourceConnections.create(config)
                .requireUrl("Dropping the replication slot of a log source");
             Connection c = connections.borrow()) {
            slotDropped = dropSlot(c, config.name(), slot);
            publicationDropped = dropPublication(c, publication);
        } catch (SQLException e) {
            throw new CdcException("Dropping replication slot " + slot + " and publication " + publication
                    + " of source '" + config.name() + "' failed: " + e.getMessage() + ". It needs the REPLICATION "
                    + "attribute (for the slot) and ownership of the publication: run it as the user the source ran "
                    + "as.", e);
        }
        Optional<Position> committed = offsets.load(config.name());
        boolean forgot = committed.isPresent() && !isRetired(committed.get());
        if (forgot) {
            offsets.save(config.name(), new Position(Map.of(RETIRED_FIELD, slot,
                    "dropped_at", Instant.now().toString())));
        }
        LOG.info("Retired log source '{}': replication slot {} {}, publication {} {}, committed position {}",
                config.name(), slot, slotDropped ? "dropped" : "was not there", publication,
                publicationDropped ? "dropped" : "was not there", forgot ? "forgotten" : "none to forget");
    }

    /** True for the position {@link #drop} leaves: the next start begins afresh. */
    static boolean isRetired(Position position) {
        return position.fields().containsKey(RETIRED_FIELD);
    }

    private static void requireLogMode(CdcConfig config) {
        if (!LogChangeSourceProvider.MODE.equals(config.mode())) {
            throw new CdcException("LogState.drop retires sources with cdc.mode=log, but the config has cdc.mode="
                    + config.mode() + ".");
        }
    }

    /** Drops the slot; false when there is none. Waits a moment for a source that just closed to release it. */
    private static boolean dropSlot(Connection c, String sourceName, String slot) throws SQLException {
        long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        while (true) {
            String database;
            String plugin;
            Integer activePid;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT database, plugin, active, active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return false;
                    }
                    database = rs.getString(1);
                    plugin = rs.getString(2);
                    activePid = rs.getBoolean(3) ? (Integer) rs.getInt(4) : null;
                }
            }
            if (!c.getCatalog().equals(database) || !"pgoutput".equals(plugin)) {
                throw new CdcException("Replication slot " + slot + " belongs to database " + database + " with "
                        + "plugin " + plugin + ", not to log source '" + sourceName + "' on database "
                        + c.getCatalog() + ": it was not dropped. Check cdc.log.slot.");
            }
            if (activePid == null) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                    ps.setString(1, slot);
                    ps.execute();
                    return true;
                } catch (SQLException e) {
                    if (!"55006".equals(e.getSQLState())) { // taken by a session meanwhile: look again
                        throw e;
                    }
                }
            } else if (System.nanoTime() > deadline) {
                throw new CdcException("Replication slot " + slot + " is in use (by the session with pid "
                        + activePid + "): log source '" + sourceName + "' is running. Stop it (close the "
                        + "ChangeSource) before retiring it; nothing was dropped.");
            }
            sleep();
        }
    }

    private static boolean dropPublication(Connection c, String publication) throws SQLException {
        boolean exists;
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        if (exists) {
            try (Statement st = c.createStatement()) {
                st.execute("DROP PUBLICATION IF EXISTS " + TableId.quote(publication));
            }
        }
        return exists;
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CdcException("Interrupted while waiting for a replication slot to be released");
        }
    }
}
