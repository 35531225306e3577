/**
 * The log-based capture strategy ({@code cdc.mode=log}): Debezium's embedded engine reading the
 * WAL through {@code pgoutput}. {@link io.cdckit.logbased.LogChangeSourceProvider} is used through
 * {@link java.util.ServiceLoader}; {@link io.cdckit.logbased.LogState} retires a source, dropping
 * the replication slot and publication it leaves in the database.
 */
package io.cdckit.logbased;
