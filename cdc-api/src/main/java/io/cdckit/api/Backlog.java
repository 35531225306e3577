package io.cdckit.api;

import java.time.Instant;
import java.util.List;

/**
 * What a source has waiting in the database, as its strategy measures it; a field the strategy
 * cannot know is null. Measured at most every {@code cdc.metrics.backlog-interval}.
 *
 * @param measuredAt       when it was measured, or null when never
 * @param walRetainedBytes log: WAL the replication slot keeps on the server's disk (from its {@code restart_lsn})
 * @param walFlushLagBytes log: WAL written since the slot's {@code confirmed_flush_lsn}, i.e. not yet handled
 * @param pendingEntries   trigger: change-log entries not yet read
 * @param logSizeBytes     trigger: size of the change log table on disk
 * @param oldestEntryAgeMs trigger: age of the oldest entry still in the change log
 * @param watermarkAgeMs   timestamp: how far the read watermark is behind now
 * @param warnings         thresholds the strategy found crossed, each naming the setting; these
 *                         make {@link ChangeSource#health()} DEGRADED
 */
public record Backlog(Instant measuredAt, Long walRetainedBytes, Long walFlushLagBytes, Long pendingEntries,
                      Long logSizeBytes, Long oldestEntryAgeMs, Long watermarkAgeMs, List<String> warnings) {

    /** Nothing measured. */
    public static final Backlog UNKNOWN = new Backlog(null, null, null, null, null, null, null, List.of());

    /** Copies {@code warnings}. */
    public Backlog {
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /** The log strategy's backlog. */
    public static Backlog wal(long retainedBytes, long flushLagBytes, List<String> warnings) {
        return new Backlog(Instant.now(), retainedBytes, flushLagBytes, null, null, null, null, warnings);
    }

    /** The trigger strategy's backlog. */
    public static Backlog changeLog(long pendingEntries, long sizeBytes, Long oldestEntryAgeMs, List<String> warnings) {
        return new Backlog(Instant.now(), null, null, pendingEntries, sizeBytes, oldestEntryAgeMs, null, warnings);
    }

    /** The timestamp strategy's backlog. */
    public static Backlog watermark(long ageMs, List<String> warnings) {
        return new Backlog(Instant.now(), null, null, null, null, null, ageMs, warnings);
    }
}
