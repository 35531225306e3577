package io.cdckit.api;

import java.time.Instant;

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
 */
public record SourceMetrics(long eventsDelivered, long batchesDelivered, Instant lastEventTime,
                            long msSinceLastEvent, long handlerFailures, long retries,
                            long deadLettered, long reconnects, long lagMs) {
}
