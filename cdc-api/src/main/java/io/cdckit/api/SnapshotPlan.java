package io.cdckit.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The decisions every strategy's snapshot makes the same way: what a restarted source still has
 * to read, and what a request adds to it.
 */
public final class SnapshotPlan {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotPlan.class);

    private SnapshotPlan() {
    }

    /**
     * The snapshot a source restarted after {@code after} goes on with: the one it was in, without
     * the tables removed from {@code cdc.tables} since, and with {@code initial} the tables added
     * to it since (those the position does not list as captured); null when there is nothing to
     * read.
     */
    public static SnapshotProgress resume(String source, List<TableId> captured, Position after, boolean initial) {
        SnapshotProgress saved = SnapshotProgress.from(after);
        SnapshotProgress progress = saved == null ? null : saved.retainOnly(captured);
        if (progress != null) {
            LOG.info("Source '{}' resumes its snapshot of {} after key {} ({} rows in {} chunks so far; tables left: {})",
                    source, progress.table(), progress.after(), progress.rows(), progress.chunks(), progress.tables());
        }
        List<TableId> before = SnapshotProgress.captured(after);
        if (initial && before != null) {
            List<TableId> added = captured.stream().filter(t -> !before.contains(t)).toList();
            if (!added.isEmpty()) {
                LOG.info("Source '{}' captures {} since its last run: snapshotting them; the other tables stream on",
                        source, added);
                progress = request(source, captured, progress, added);
            }
        }
        return progress;
    }

    /**
     * {@code current} (null: none running) with {@code more} queued after the tables it still has.
     *
     * @throws IllegalArgumentException when a table is not captured by the source
     */
    public static SnapshotProgress request(String source, List<TableId> captured, SnapshotProgress current,
                                           List<TableId> more) {
        for (TableId t : more) {
            if (!captured.contains(t)) {
                throw new IllegalArgumentException("Table " + t + " is not captured by source '" + source + "'");
            }
        }
        if (more.isEmpty()) {
            return current;
        }
        return current == null ? SnapshotProgress.of(more) : current.plus(more);
    }
}
