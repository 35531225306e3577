package io.cdckit.api;

import java.time.Instant;
import java.util.Map;

/**
 * A point-in-time snapshot of a source's counters.
 *
 * @param eventsDelivered     events the handler processed (returned normally)
 * @param batchesDelivered    batches the handler processed
 * @param lastEventTime       when the last event was delivered, or null if none yet
 * @param msSinceLastEvent    milliseconds since the last delivered event, or -1 if none yet
 * @param handlerFailures     times the handler threw
 * @param retries             times a batch was offered again after a failure
 * @param deadLettered        events handed to the dead-letter handler
 * @param reconnects          times the source reconnected after losing its connection
 * @param lagMs               commit time to delivery of the last event, in ms, or -1 where the
 *                            strategy does not know commit times
 * @param eventsByTable       events delivered per table and operation (snapshot reads are {@link Op#READ})
 * @param handlerNanos        time the handler spent on the batches it processed, in nanoseconds
 * @param handlerBusyMs       how long the handler has been busy with the batch it holds now, or -1
 * @param connected           true while the strategy is connected and reading
 * @param backlog             what the source has waiting in the database, last measured
 */
public record SourceMetrics(long eventsDelivered, long batchesDelivered, Instant lastEventTime,
                            long msSinceLastEvent, long handlerFailures, long retries,
                            long deadLettered, long reconnects, long lagMs,
                            Map<TableId, Map<Op, Long>> eventsByTable, long handlerNanos, long handlerBusyMs,
                            boolean connected, Backlog backlog) {

    /** Copies {@code eventsByTable}. */
    public SourceMetrics {
        eventsByTable = Map.copyOf(eventsByTable);
    }

    /** Events of {@code table} with operation {@code op} delivered so far. */
    public long events(TableId table, Op op) {
        return eventsByTable.getOrDefault(table, Map.of()).getOrDefault(op, 0L);
    }
}
