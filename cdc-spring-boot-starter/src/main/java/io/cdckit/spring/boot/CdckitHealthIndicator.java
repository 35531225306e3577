package io.cdckit.spring.boot;

import io.cdckit.api.ChangeSource;
import io.cdckit.api.SourceHealth;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.util.Objects;

/**
 * Spring Boot health of a {@link ChangeSource}, from {@link ChangeSource#health()}:
 *
 * <ul>
 *   <li>{@code UP} → {@code UP};</li>
 *   <li>{@code DEGRADED} (retrying a batch, reconnecting, a stalled handler, lag or backlog over its
 *       threshold) → {@code UP} with the detail {@code degraded: true} and the {@code reasons}: the source
 *       still delivers, or is about to again, so it should not take the application out of service;
 *       alert on the detail or on the {@code cdc.health} meter instead. An application that wants another
 *       status defines its own bean named {@code cdckitHealthIndicator};</li>
 *   <li>{@code DOWN} (not started, stopped or failed) → {@code DOWN}.</li>
 * </ul>
 *
 * The details are {@code source} ({@code cdc.name}), {@code mode}, {@code health} (cdckit's verdict:
 * {@code UP}, {@code DEGRADED} or {@code DOWN}), {@code degraded}, and those of {@link SourceHealth}:
 * {@code state}, {@code connected}, {@code eventsDelivered}, {@code lagMs}, {@code msSinceLastEvent},
 * {@code handlerBusyMs}, the backlog the strategy measures, {@code warnings}, {@code reasons} and
 * {@code failure}.
 */
public final class CdckitHealthIndicator implements HealthIndicator {

    private final ChangeSource source;

    /**
     * Reports the health of {@code source}.
     *
     * @param source the source
     */
    public CdckitHealthIndicator(ChangeSource source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public Health health() {
        SourceHealth health = source.health();
        Health.Builder builder = switch (health.status()) {
            case UP, DEGRADED -> Health.up();
            case DOWN -> Health.down();
        };
        return builder.withDetail("source", source.config().name())
                .withDetail("mode", source.config().mode())
                .withDetail("health", health.status().name())
                .withDetail("degraded", health.status() == SourceHealth.Status.DEGRADED)
                .withDetails(health.details())
                .build();
    }
}
