package io.cdckit.timestamp;

import java.util.List;

/**
 * Where the reader stands in one table: the (timestamp, key) of the last row delivered, in the
 * text form PostgreSQL prints them, and the end of the initial snapshot while it runs.
 *
 * @param ts          the last timestamp delivered; null when nothing was (no lower bound)
 * @param key         the last key delivered, one text per key column; null when rows with
 *                    timestamp {@code ts} itself are still to come ({@code ts} is then inclusive)
 * @param snapshotEnd rows below this bound are reported as snapshot reads (op r); null when no
 *                    snapshot runs
 */
record TablePosition(String ts, List<String> key, String snapshotEnd) {

    TablePosition {
        key = key == null ? null : List.copyOf(key);
    }

    /** Start of a table whose existing rows are delivered first, as op r. */
    static TablePosition snapshotUntil(String bound) {
        return new TablePosition(null, null, bound);
    }

    /** Start of a table whose changes from {@code bound} on are delivered. */
    static TablePosition from(String bound) {
        return new TablePosition(bound, null, null);
    }

    TablePosition after(String rowTs, List<String> rowKey) {
        return new TablePosition(rowTs, rowKey, snapshotEnd);
    }

    TablePosition snapshotDone() {
        return new TablePosition(ts, key, null);
    }
}
