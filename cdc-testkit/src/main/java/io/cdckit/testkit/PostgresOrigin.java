package io.cdckit.testkit;

/** Where the {@link PostgresServer} of a test run comes from, in the order the fixture tries them. */
public enum PostgresOrigin {
    /** An existing server named by the environment variable {@code CDC_TEST_JDBC_URL}. */
    ENVIRONMENT,
    /** A throwaway cluster made with PostgreSQL server programs installed on this machine. */
    LOCAL_BINARIES,
    /** A {@code postgres} container started through Testcontainers on a Docker engine. */
    TESTCONTAINERS
}
