package io.cdckit.testkit;

/**
 * How a {@link LocalPostgresCluster} is shut down; the names are those of {@code pg_ctl stop -m}.
 */
public enum ShutdownMode {
    /** Waits until every client has disconnected and online backups have ended, then shuts down cleanly. */
    SMART,
    /** Disconnects the clients, rolls back their open transactions and shuts down cleanly. */
    FAST,
    /**
     * Kills every server process without a clean shutdown, as a crash would; the next start runs
     * crash recovery from the WAL.
     */
    IMMEDIATE;

    /** The value for {@code pg_ctl stop -m}. */
    String pgCtlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
