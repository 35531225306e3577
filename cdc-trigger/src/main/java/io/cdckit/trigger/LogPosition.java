package io.cdckit.trigger;

import io.cdckit.api.Position;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a trigger source stands: inside log batch {@code batch}, which holds the log entries of
 * the transactions visible in snapshot {@code cur} but not in snapshot {@code prev}, taken in log
 * id order, every entry up to id {@code id} delivered. With {@code cur == null} the source stands
 * between batches: everything visible in {@code prev} is delivered. The reader adds the progress of
 * a chunked snapshot and the captured tables to the fields ({@link io.cdckit.api.SnapshotProgress}).
 * A position of an earlier version that says only {@code phase=snapshot} (a one-transaction
 * snapshot under way) makes a restart take the snapshot again.
 *
 * <p>Positions are ordered by (batch, id). Snapshots are PostgreSQL's {@code pg_snapshot} text
 * form {@code xmin:xmax:xip,...}.
 *
 * @param snapshotPhase true while an initial snapshot is being delivered
 * @param batch         number of the batch, counting from the start of the source
 * @param prev          snapshot whose visible transactions are all delivered
 * @param cur           snapshot that closes the current batch, or null between batches
 * @param id            largest log id of the current batch that was delivered, 0 for none
 */
record LogPosition(boolean snapshotPhase, long batch, String prev, String cur, long id) {

    static final LogPosition SNAPSHOT = new LogPosition(true, 0, null, null, 0);

    /** Between batches, everything visible in {@code snapshot} delivered. */
    static LogPosition after(long batch, String snapshot) {
        return new LogPosition(false, batch, snapshot, null, 0);
    }

    Position toPosition() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (snapshotPhase) {
            m.put("phase", "snapshot");
            return new Position(m);
        }
        m.put("phase", "log");
        m.put("batch", batch);
        m.put("prev", prev);
        m.put("cur", cur);
        m.put("id", id);
        return new Position(m);
    }

    /** Reads a position this strategy wrote; fails naming the fix for any other. */
    static LogPosition from(Position p) {
        String phase = p.getString("phase");
        if ("snapshot".equals(phase)) {
            return SNAPSHOT;
        }
        if (!"log".equals(phase) || p.getString("prev") == null) {
            throw new io.cdckit.api.CdcException("The committed position " + p.fields() + " was not written by "
                    + "cdc.mode=trigger: use another cdc.name for this source, or delete its saved position to "
                    + "start fresh.");
        }
        return new LogPosition(false, p.getLong("batch"), p.getString("prev"), p.getString("cur"), p.getLong("id"));
    }
}
