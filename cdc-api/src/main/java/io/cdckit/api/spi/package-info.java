/**
 * What a capture strategy implements: a {@link io.cdckit.api.spi.ChangeSourceProvider}, found
 * with {@link java.util.ServiceLoader} by its mode, creates {@link io.cdckit.api.spi.ChangeReader}s,
 * which the delivery loop of {@code cdc-api} drives. Not for applications.
 */
package io.cdckit.api.spi;
