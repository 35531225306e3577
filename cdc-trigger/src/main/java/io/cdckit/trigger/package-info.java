/**
 * Trigger-based capture ({@code cdc.mode=trigger}): an installed change log and
 * {@code audit_changes} trigger functions, read in commit-safe visibility batches. Applications
 * use it through {@code ChangeSources}; {@link io.cdckit.trigger.TriggerInstallation} installs,
 * prints and removes the database objects for a DBA.
 */
package io.cdckit.trigger;
