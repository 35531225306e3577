/**
 * Micrometer meters for a cdckit source: {@link io.cdckit.micrometer.ChangeSourceMetrics} binds a
 * {@link io.cdckit.api.ChangeSource}'s metrics, health and backlog to a
 * {@link io.micrometer.core.instrument.MeterRegistry} as function-based meters named {@code cdc.*}.
 */
package io.cdckit.micrometer;
