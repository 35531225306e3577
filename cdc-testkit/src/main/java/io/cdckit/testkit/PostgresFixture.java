package io.cdckit.testkit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server shared by all tests of a JVM. The first call of {@link #server()} finds
 * or starts it, trying in this order:
 * <ol>
 *   <li>the environment variable {@code CDC_TEST_JDBC_URL} (with {@code CDC_TEST_JDBC_USER} and
 *       {@code CDC_TEST_JDBC_PASSWORD}): an existing server, which must have
 *       {@code wal_level=logical};</li>
 *   <li>PostgreSQL server programs on this machine: the bin directory named by the system property
 *       {@code cdckit.test.pg.bin} or the environment variable {@code CDC_TEST_PG_BIN}, else
 *       {@code pg_ctl} on PATH, else the highest version under {@code /usr/lib/postgresql/*}{@code /bin};
 *       a throwaway {@link LocalPostgresCluster} under the module's {@code target/} directory,
 *       removed when the JVM exits ({@code -Dcdckit.test.pg.bin=none} skips this way);</li>
 *   <li>Testcontainers, when a Docker engine answers: {@code postgres:16-alpine} with
 *       {@code wal_level=logical} ({@code -Dcdckit.test.docker=none} skips this way).</li>
 * </ol>
 * When none works, every call throws an {@link IllegalStateException} that says what to provide.
 */
public final class PostgresFixture {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresFixture.class);
    private static final Object LOCK = new Object();
    private static volatile PostgresServer server;
    private static RuntimeException failure;

    private PostgresFixture() {
    }

    /**
     * The server of this JVM, found or started on the first call; thread-safe.
     *
     * @throws IllegalStateException when no server can be had; later calls throw again at once
     */
    public static PostgresServer server() {
        PostgresServer s = server;
        if (s != null) {
            return s;
        }
        synchronized (LOCK) {
            if (server != null) {
                return server;
            }
            if (failure != null) {
                throw new IllegalStateException(failure.getMessage(), failure);
            }
            long started = System.nanoTime();
            try {
                s = ServerDiscovery.ofSystem().discover();
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
            LOG.info("PostgreSQL for the tests comes from {}: {}, ready in {} ms", s.origin(), s,
                    (System.nanoTime() - started) / 1_000_000);
            server = s;
            return s;
        }
    }
}
