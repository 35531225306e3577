package io.cdckit.testkit;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Starts PostgreSQL in a container through Testcontainers. Kept apart so that the Testcontainers
 * classes load only when the fixture gets this far.
 */
final class ContainerPostgres {

    /** The image used. */
    static final String IMAGE = "postgres:16-alpine";

    private ContainerPostgres() {
    }

    /** Whether a Docker engine answers. */
    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * Starts a container with {@code wal_level=logical}; Testcontainers removes it when the JVM
     * exits.
     */
    static PostgresServer start() {
        PostgreSQLContainer container = new PostgreSQLContainer(DockerImageName.parse(IMAGE))
                .withCommand("postgres", "-c", "wal_level=logical", "-c", "max_replication_slots=32",
                        "-c", "max_wal_senders=32", "-c", "max_connections=200", "-c", "fsync=off",
                        "-c", "full_page_writes=off");
        container.start();
        String host = container.getHost();
        int port = container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
        return new PostgresServer(PostgresOrigin.TESTCONTAINERS, host, port, host + ":" + port, "",
                container.getDatabaseName(), container.getUsername(), container.getPassword(), null,
                "container " + container.getContainerId() + " of " + IMAGE);
    }
}
