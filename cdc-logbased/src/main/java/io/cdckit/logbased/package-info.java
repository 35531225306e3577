/**
 * The log-based capture strategy ({@code cdc.mode=log}): Debezium's embedded engine reading the
 * WAL through {@code pgoutput}. Only {@link io.cdckit.logbased.LogChangeSourceProvider} is meant to
 * be used, through {@link java.util.ServiceLoader}.
 */
package io.cdckit.logbased;
