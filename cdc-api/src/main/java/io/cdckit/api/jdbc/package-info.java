/**
 * JDBC building blocks that strategies share: decoding result-set columns into the typed values
 * of the event model ({@link io.cdckit.api.jdbc.ColumnDecoder}) and reading a captured table's
 * columns and primary key from the catalog ({@link io.cdckit.api.jdbc.TableSchema}), and running
 * DDL on captured tables with bounded lock waits ({@link io.cdckit.api.jdbc.DdlLockWait}), and the
 * lock that lets one instance of a source run ({@link io.cdckit.api.jdbc.SourceLock}), and checking
 * that the driver accepts a JDBC URL before connecting ({@link io.cdckit.api.jdbc.DriverUrlCheck}). Only
 * {@code java.sql} is used; the PostgreSQL driver comes with the strategy modules.
 */
package io.cdckit.api.jdbc;
