package io.cdckit.api;

/**
 * Where a running snapshot stands, as of the last committed position.
 *
 * @param table         the table being read
 * @param tablesLeft    tables still to read, the current one included
 * @param chunks        chunks delivered so far, of every table of this snapshot
 * @param rows          rows delivered so far, of every table of this snapshot
 * @param estimatedRows rows done plus PostgreSQL's estimate of the rows of the tables left
 *                      ({@code pg_class.reltuples}), or -1 while unknown
 */
public record SnapshotStatus(TableId table, int tablesLeft, long chunks, long rows, long estimatedRows) {

    /** The status of {@code progress}, with {@code estimatedRows}. */
    public static SnapshotStatus of(SnapshotProgress progress, long estimatedRows) {
        return new SnapshotStatus(progress.table(), progress.tables().size(), progress.chunks(), progress.rows(),
                estimatedRows);
    }
}
