package io.cdckit.api;

/**
 * A running capture of changes from PostgreSQL, whatever the strategy.
 *
 * <pre>{@code
 * try (ChangeSource source = ChangeSources.create(CdcConfig.from(props))) {
 *     source.start(batch -> batch.forEach(System.out::println));
 *     ...
 * }
 * }</pre>
 *
 * <p>A source is started once. It delivers batches to the handler on its own thread, commits
 * a batch's position only after the handler returned, and on {@link #close()} finishes the batch
 * in flight, commits it and releases its connections.
 */
public interface ChangeSource extends AutoCloseable {

    /**
     * Starts capturing and delivering to {@code handler} on a background thread. Returns once the
     * source has been set up and checked (connections, privileges, tables), so setup errors are
     * thrown here.
     *
     * @throws CdcException         when the source cannot start; the message names the fix
     * @throws IllegalStateException when the source was started before
     */
    void start(ChangeHandler handler);

    /** Where the source is in its life, and the cause when it failed. */
    SourceStatus status();

    /** A snapshot of the source's counters, and what it has waiting in the database. */
    SourceMetrics metrics();

    /**
     * UP, DEGRADED or DOWN, with what the verdict rests on; thresholds in {@code cdc.health.*}
     * and the strategy's own keys. See {@link SourceHealth}.
     */
    SourceHealth health();

    /**
     * Takes a snapshot of {@code tables} (each captured by this source) while the source goes on
     * streaming: their rows arrive as {@code op r} events, chunk by chunk, and a restart resumes
     * the snapshot at the next chunk. Returns at once.
     *
     * @throws IllegalArgumentException     when a table is not in {@code cdc.tables}
     * @throws IllegalStateException        when the source is not running
     * @throws UnsupportedOperationException when the strategy cannot take snapshots on demand
     */
    void snapshot(TableId... tables);

    /** The configuration the source was built with (secrets masked in its {@code toString()}). */
    CdcConfig config();

    /**
     * Stops delivery: lets the batch in flight finish, commits its position, closes the
     * strategy's resources. Idempotent.
     */
    @Override
    void close();
}
