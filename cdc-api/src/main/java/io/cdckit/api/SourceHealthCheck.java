package io.cdckit.api;

import io.cdckit.api.SourceHealth.Status;
import io.cdckit.api.SourceStatus.State;
import io.cdckit.api.jdbc.Masking;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Judges a source's health from its state and metrics, with the thresholds of {@code cdc.health.*}. */
final class SourceHealthCheck {

    private final long maxLagMs;
    private final long handlerStallMs;

    SourceHealthCheck(CdcConfig config) {
        this.maxLagMs = config.get(CdcConfig.HEALTH_MAX_LAG).toMillis();
        this.handlerStallMs = config.get(CdcConfig.HEALTH_HANDLER_STALL).toMillis();
    }

    SourceHealth judge(SourceStatus status, SourceMetrics m) {
        Map<String, Object> details = new LinkedHashMap<>();
        List<String> reasons = new ArrayList<>();
        State state = status.state();
        details.put("state", state.name());
        details.put("connected", m.connected());
        details.put("eventsDelivered", m.eventsDelivered());
        details.put("lagMs", m.lagMs());
        details.put("msSinceLastEvent", m.msSinceLastEvent());
        details.put("handlerBusyMs", m.handlerBusyMs());
        Backlog b = m.backlog();
        putIfKnown(details, "walRetainedBytes", b.walRetainedBytes());
        putIfKnown(details, "walFlushLagBytes", b.walFlushLagBytes());
        putIfKnown(details, "pendingEntries", b.pendingEntries());
        putIfKnown(details, "logSizeBytes", b.logSizeBytes());
        putIfKnown(details, "oldestEntryAgeMs", b.oldestEntryAgeMs());
        putIfKnown(details, "watermarkAgeMs", b.watermarkAgeMs());
        if (status.failure() != null) {
            details.put("failure", Masking.maskUrl(String.valueOf(status.failure().getMessage())));
        }
        Status verdict;
        switch (state) {
            case CREATED, STARTING, STOPPED, FAILED -> {
                verdict = Status.DOWN;
                reasons.add("the source is " + state.name().toLowerCase());
            }
            default -> {
                if (state == State.RETRYING) {
                    reasons.add("the handler failed and its batch is being retried");
                } else if (state == State.RECONNECTING) {
                    reasons.add("the connection was lost and the source is reconnecting");
                }
                if (m.handlerBusyMs() > handlerStallMs) {
                    reasons.add("the handler has been busy with one batch for " + m.handlerBusyMs()
                            + " ms (cdc.health.handler-stall=" + handlerStallMs + " ms)");
                }
                if (m.lagMs() > maxLagMs) {
                    reasons.add("commit-to-handler lag is " + m.lagMs() + " ms (cdc.health.max-lag=" + maxLagMs
                            + " ms)");
                }
                reasons.addAll(b.warnings());
                verdict = reasons.isEmpty() ? Status.UP : Status.DEGRADED;
            }
        }
        details.put("warnings", b.warnings());
        details.put("reasons", List.copyOf(reasons));
        return new SourceHealth(verdict, details);
    }

    private static void putIfKnown(Map<String, Object> details, String key, Long value) {
        if (value != null) {
            details.put(key, value);
        }
    }
}
