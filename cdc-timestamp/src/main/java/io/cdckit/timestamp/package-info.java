/**
 * Timestamp polling ({@code cdc.mode=timestamp}): rows whose {@code updated_at} passed a watermark
 * that is safe against long transactions, hard deletes found by key reconciliation. Applications
 * use it through {@code ChangeSources}; {@link io.cdckit.timestamp.TimestampState} removes what a
 * retired source kept in the database.
 */
package io.cdckit.timestamp;
