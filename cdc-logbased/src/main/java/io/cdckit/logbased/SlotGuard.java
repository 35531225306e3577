package io.cdckit.logbased;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcException;
import io.cdckit.api.jdbc.SourceConnections;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the replication slot holds on the server, and what cdckit says about it: the WAL it
 * retains and has not had confirmed (the backlog that {@code metrics()} and {@code health()}
 * show), the thresholds crossed, the start warning for an unlimited {@code max_slot_wal_keep_size},
 * and the failure for a slot that PostgreSQL invalidated, which names the recovery.
 */
final class SlotGuard {

    /** The server setting that limits the WAL a slot may keep. */
    static final String KEEP_SIZE_SETTING = "max_slot_wal_keep_size";

    /**
     * The slot's state now. Columns that older servers lack ({@code wal_status} before 13,
     * {@code invalidation_reason} before 17) are read through {@code to_jsonb}, so they are simply
     * null there; the LSN differences are null for a slot that lost its {@code restart_lsn}.
     */
    private static final String SLOT_STATE = "SELECT pg_wal_lsn_diff(w.lsn, s.restart_lsn)::bigint, "
            + "pg_wal_lsn_diff(w.lsn, s.confirmed_flush_lsn)::bigint, to_jsonb(s) ->> 'wal_status', "
            + "to_jsonb(s) ->> 'invalidation_reason' FROM pg_replication_slots s, (SELECT CASE WHEN "
            + "pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS lsn) w "
            + "WHERE s.slot_name = ?";

    /** What PostgreSQL says when a slot it invalidated is used (12 to 17, and 18's wording). */
    private static final List<String> INVALIDATED_MESSAGES = List.of(
            "can no longer get changes from replication slot",
            "can no longer access replication slot",
            "has been invalidated because it exceeded the maximum reserved size",
            "this replication slot has been invalidated");

    private SlotGuard() {
    }

    /**
     * One reading of a slot.
     *
     * @param retainedBytes      WAL from its {@code restart_lsn} to the server's current LSN, or null when lost
     * @param flushLagBytes      WAL from its {@code confirmed_flush_lsn} to the server's current LSN, or null
     * @param walStatus          {@code reserved}, {@code extended}, {@code unreserved}, {@code lost}; null before 13
     * @param invalidationReason why PostgreSQL invalidated it (17 and later), else null
     */
    record SlotState(Long retainedBytes, Long flushLagBytes, String walStatus, String invalidationReason) {

        boolean lost() {
            return "lost".equals(walStatus);
        }

        /** The backlog with the warnings of the thresholds crossed. */
        Backlog backlog(String slot, ByteSize maxRetained) {
            List<String> warnings = new ArrayList<>();
            if (retainedBytes != null && retainedBytes > maxRetained.bytes()) {
                warnings.add("replication slot " + slot + " retains " + retainedBytes + " bytes of WAL ("
                        + LogConfig.SLOT_MAX_RETAINED_WAL.name() + "=" + maxRetained + "): the server keeps this "
                        + "WAL on disk until the source has confirmed the changes in it");
            }
            if ("unreserved".equals(walStatus)) {
                warnings.add("replication slot " + slot + " is about to be invalidated (wal_status=unreserved): "
                        + "it keeps more WAL than " + KEEP_SIZE_SETTING + " allows, and the next checkpoint may "
                        + "remove WAL it has not yet delivered; unless the source catches up now it stops and "
                        + "needs a new snapshot");
            } else if (lost()) {
                warnings.add("replication slot " + slot + " was invalidated (wal_status=lost"
                        + (invalidationReason == null ? "" : ", invalidation_reason=" + invalidationReason)
                        + "): WAL it had not yet delivered is gone, and the source stops at its next reconnect");
            }
            return new Backlog(Instant.now(), retainedBytes, flushLagBytes, null, null, null, null, warnings);
        }
    }

    /**
     * What {@code slot} keeps on the server, from {@code pg_replication_slots} on a borrowed
     * connection, with the warnings of {@link SlotState#backlog}; unknown when there is no such slot.
     */
    static Backlog backlog(SourceConnections connections, String slot, ByteSize maxRetainedWal) throws SQLException {
        try (Connection c = connections.borrow()) {
            SlotState state = read(c, slot);
            return state == null ? Backlog.UNKNOWN : state.backlog(slot, maxRetainedWal);
        }
    }

    /** The state of {@code slot}, or null when there is no such slot. */
    static SlotState read(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SLOT_STATE)) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return new SlotState(nullableLong(rs, 1), nullableLong(rs, 2), rs.getString(3), rs.getString(4));
            }
        }
    }

    private static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    /**
     * The warning to log at start when the server lets slots keep WAL without limit
     * ({@code max_slot_wal_keep_size = -1}, its default); null when a limit is set, or on servers
     * before 13, which have no such setting.
     */
    static String unlimitedKeepSizeWarning(Connection c, String sourceName, String slot) throws SQLException {
        String value;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('" + KEEP_SIZE_SETTING + "', true)")) {
            rs.next();
            value = rs.getString(1);
        }
        if (value == null || !value.strip().equals("-1")) {
            return null;
        }
        return "The server runs with " + KEEP_SIZE_SETTING + " = -1 (unlimited): replication slot " + slot
                + " of source '" + sourceName + "' keeps all WAL the source has not yet confirmed, so a source "
                + "that is stopped or falls behind can fill the server's disk. Set a limit as a superuser, e.g. "
                + "ALTER SYSTEM SET " + KEEP_SIZE_SETTING + " = '10GB'; then SELECT pg_reload_conf(); a slot that "
                + "exceeds it is then invalidated instead of filling the disk, and the source stops with an error "
                + "that says how to recover (a new snapshot). health() reports the WAL the slot retains above "
                + LogConfig.SLOT_MAX_RETAINED_WAL.name() + ".";
    }

    /** True when {@code error}, or a cause of it, is PostgreSQL refusing a slot it invalidated. */
    static boolean isInvalidatedSlotError(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            if (message != null) {
                String lower = message.toLowerCase(Locale.ROOT);
                for (String m : INVALIDATED_MESSAGES) {
                    if (lower.contains(m)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * The failure for a slot that PostgreSQL invalidated: what happened and how to recover.
     *
     * @param reason {@code invalidation_reason} when the server tells it, else null
     * @param cause  the error that showed it, or null
     */
    static CdcException invalidated(String sourceName, String slot, String reason, Throwable cause) {
        String why = switch (reason == null ? "wal_removed" : reason) {
            case "wal_removed" -> "it kept more WAL than " + KEEP_SIZE_SETTING + " allows, so the server removed "
                    + "WAL the slot had not yet delivered";
            case "idle_timeout" -> "it was unused longer than idle_replication_slot_timeout allows, and the WAL "
                    + "and row versions it held back were released";
            default -> "the server released what the slot held back";
        };
        return new CdcException("Replication slot " + slot + " of source '" + sourceName + "' was invalidated by "
                + "PostgreSQL (wal_status=lost" + (reason == null ? "" : ", invalidation_reason=" + reason) + "): "
                + why + ". The changes committed between the source's last confirmed position and now are gone "
                + "and cannot be captured; the source stops rather than skip them. To recover, retire the slot "
                + "with LogState.drop(config) (io.cdckit.logbased: it drops the slot and the publication and "
                + "forgets the committed position), then start the source again with cdc.snapshot.mode=initial "
                + "for a new snapshot of the tables (rows deleted in between do not arrive as deletes: rebuild or "
                + "reconcile what you replicate to), or start it under a new cdc.name. To keep it from happening "
                + "again, keep the source running and its handler fast, raise " + KEEP_SIZE_SETTING + ", and watch "
                + "health() (" + LogConfig.SLOT_MAX_RETAINED_WAL.name() + ").", cause);
    }

    /** {@code lsn} as PostgreSQL writes it, e.g. {@code 0/16B3748}. */
    static String lsnText(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
    }
}
