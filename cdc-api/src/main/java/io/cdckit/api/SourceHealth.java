package io.cdckit.api;

import java.util.Map;

/**
 * Whether a source is healthy, with what it was judged on.
 *
 * <ul>
 *   <li>{@link Status#DOWN}: not started yet, starting, stopped or failed ({@code failure} in the details).</li>
 *   <li>{@link Status#DEGRADED}: retrying a batch, reconnecting, a handler busy with one batch for longer than
 *       {@code cdc.health.handler-stall}, commit-to-handler lag above {@code cdc.health.max-lag}, or a
 *       threshold of the strategy crossed ({@link Backlog#warnings()}, e.g. {@code cdc.log.slot.max-retained-wal}).</li>
 *   <li>{@link Status#UP}: otherwise.</li>
 * </ul>
 *
 * @param status  the verdict
 * @param details what it rests on: {@code state}, {@code connected}, {@code lagMs}, {@code msSinceLastEvent},
 *                {@code handlerBusyMs}, the known backlog fields, {@code warnings}, {@code reasons} (why not UP)
 *                and {@code failure}; values are strings, numbers, booleans or lists of strings
 */
public record SourceHealth(Status status, Map<String, Object> details) {

    /** The verdicts, worst last. */
    public enum Status {
        /** Running and keeping up. */
        UP,
        /** Running, but something needs a look. */
        DEGRADED,
        /** Not delivering. */
        DOWN
    }

    /** Copies {@code details}. */
    public SourceHealth {
        details = Map.copyOf(details);
    }
}
