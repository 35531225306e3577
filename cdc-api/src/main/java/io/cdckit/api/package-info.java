/**
 * The cdckit API: {@link io.cdckit.api.ChangeSources} creates the {@link io.cdckit.api.ChangeSource}
 * of the strategy {@code cdc.mode} names from a validated {@link io.cdckit.api.CdcConfig}; every
 * change arrives as a {@link io.cdckit.api.ChangeEvent} (Debezium's envelope as a record) at the
 * application's {@link io.cdckit.api.ChangeHandler}, and its position is committed to an
 * {@link io.cdckit.api.OffsetStore} only after the handler returned. The application may bring
 * its own {@link javax.sql.DataSource} and a {@link io.cdckit.api.CredentialsProvider}.
 * {@link io.cdckit.api.ChangeEventJson} writes and reads the JSON envelope.
 */
package io.cdckit.api;
