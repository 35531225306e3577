package io.cdckit.timestamp;

import java.util.List;

/**
 * Where the stream stands in one table: the (timestamp, key) of the last row delivered, in the
 * text form PostgreSQL prints them.
 *
 * @param ts      the last timestamp delivered; null when nothing was (no lower bound)
 * @param key     the last key delivered, one text per key column; null when rows with
 *                timestamp {@code ts} itself are still to come ({@code ts} is then inclusive)
 * @param partial true while the table's first snapshot runs: its keys seen hold only the rows
 *                delivered so far, not every row the table had when the source started, so key
 *                reconciliation looks only at the keys the snapshot has passed
 */
record TablePosition(String ts, List<String> key, boolean partial) {

    TablePosition {
        key = key == null ? null : List.copyOf(key);
    }

    /** Start of a table whose changes from {@code bound} on are delivered. */
    static TablePosition from(String bound) {
        return new TablePosition(bound, null, false);
    }

    TablePosition after(String rowTs, List<String> rowKey) {
        return new TablePosition(rowTs, rowKey, partial);
    }

    /** This position, with the keys seen known {@code partial}ly (see the record's doc). */
    TablePosition withPartial(boolean isPartial) {
        return isPartial == partial ? this : new TablePosition(ts, key, isPartial);
    }
}
