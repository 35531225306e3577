package io.cdckit.api.jdbc;

import io.cdckit.api.CdcException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The session advisory lock that lets one instance of a source run at a time: taken by a reader
 * on its connection when it opens, held until that connection closes. Another holder is waited
 * for up to {@link #RELEASE_WAIT}, because the session of an instance that was just stopped, or
 * that lost its connection before a reconnect, may take a moment to end.
 *
 * <p>The lock's key is a 64-bit hash of the name ({@code hashtextextended}), so two different
 * source names practically never share a lock.
 */
public final class SourceLock {

    /** How long a lock held by another session may take to be released before opening fails. */
    public static final Duration RELEASE_WAIT = Duration.ofSeconds(5);

    private SourceLock() {
    }

    /**
     * Takes the lock named {@code name} on {@code c} for the rest of its session.
     *
     * @param conflict the message of the exception thrown when another session keeps it
     * @throws CdcException when another session holds it for longer than {@link #RELEASE_WAIT}
     */
    public static void acquire(Connection c, String name, String conflict) throws SQLException {
        long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtextextended(?, 0))")) {
            ps.setString(1, name);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new CdcException(conflict);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CdcException("Interrupted while waiting for another instance to release its lock", e);
                }
            }
        }
    }

    /**
     * True when no session holds the lock named {@code name}; then {@code c}'s current
     * transaction holds it until it ends, so no instance can start meanwhile.
     */
    public static boolean freeForTransaction(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended(?, 0))")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
