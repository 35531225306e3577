package io.cdckit.api;

/**
 * Where a change came from: Debezium's {@code source} block.
 *
 * <p>Fields a strategy cannot know are {@code null}, never invented.
 *
 * @param version   cdckit version that produced the event
 * @param connector the strategy: {@code "log"}, {@code "trigger"} or {@code "timestamp"}
 * @param name      logical name of the source ({@code cdc.name})
 * @param tsMs      commit time of the change in epoch milliseconds, where the strategy knows it
 * @param snapshot  {@code "true"} for snapshot rows, {@code "last"} for the last one, {@code "false"} otherwise
 * @param db        database name
 * @param schema    schema of the changed table
 * @param table     name of the changed table
 * @param txId      PostgreSQL transaction id, where known
 * @param lsn       WAL position of the change, where known
 * @param xmin      xmin of the row version, where known
 * @param sequence  strategy-specific ordering hint, where known
 */
public record SourceInfo(String version, String connector, String name, Long tsMs, String snapshot,
                         String db, String schema, String table, Long txId, Long lsn, Long xmin,
                         String sequence) {

    /** Value of {@link #snapshot()} for events that are not part of a snapshot. */
    public static final String SNAPSHOT_FALSE = "false";
    /** Value of {@link #snapshot()} for snapshot rows but the last. */
    public static final String SNAPSHOT_TRUE = "true";
    /** Value of {@link #snapshot()} for the last row of a snapshot. */
    public static final String SNAPSHOT_LAST = "last";

    /** The changed table as a {@link TableId}, or null when schema or table is not known. */
    public TableId tableId() {
        return schema == null || table == null ? null : new TableId(schema, table);
    }

    /** True when this event was produced by a snapshot. */
    public boolean isSnapshot() {
        return SNAPSHOT_TRUE.equals(snapshot) || SNAPSHOT_LAST.equals(snapshot);
    }
}
