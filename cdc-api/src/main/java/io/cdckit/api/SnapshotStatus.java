package io.cdckit.api;

/**
 * Where a running snapshot stands, as of the last committed position.
 *
 * @param table         the table being read
 * @param tablesLeft    tables still to read, the current one included
 * @param chunks        chunks delivered so far, of every table of this snapshot
 * @param rows          rows delivered so far, of every table of this snapshot
 * @param estimatedRows rows read before the current table plus PostgreSQL's estimate ({@code reltuples}) of the rows
 *                      of the current table and the tables left, at least {@code rows}; -1 while unknown
 */
public record SnapshotStatus(TableId table, int tablesLeft, long chunks, long rows, long estimatedRows) {

    /** The status of {@code progress}, with {@code estimatedRows}. */
    public static SnapshotStatus of(SnapshotProgress progress, long estimatedRows) {
        return new SnapshotStatus(progress.table(), progress.tables().size(), progress.chunks(), progress.rows(),
                estimatedRows);
    }
}
