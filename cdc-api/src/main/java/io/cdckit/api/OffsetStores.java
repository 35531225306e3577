package io.cdckit.api;

import io.cdckit.api.jdbc.Masking;
import io.cdckit.api.jdbc.SourceConnections;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The offset stores cdckit ships, and the one {@code cdc.offset.store} names.
 */
public final class OffsetStores {

    private OffsetStores() {
    }

    /** Positions kept in memory: lost when the JVM exits. For tests and throwaway runs. */
    public static OffsetStore memory() {
        return new MemoryOffsetStore();
    }

    /**
     * Positions kept in a JSON file, replaced atomically (temp file, fsync, rename) on each save,
     * so a crash at any point leaves either the old or the new content.
     */
    public static OffsetStore file(Path path) {
        return new FileOffsetStore(Objects.requireNonNull(path, "path"));
    }

    /**
     * Positions kept in table {@code schema.table} of a PostgreSQL database, created if missing,
     * over a pool of one connection that the store owns and closes.
     */
    public static OffsetStore jdbc(String url, String user, String password, String schema, String table) {
        SourceConnections connections = SourceConnections.forUrl("offsets", url, user, password);
        return new JdbcOffsetStore(connections, true, schema, table);
    }

    /**
     * Positions kept in table {@code schema.table}, created if missing, borrowing connections
     * from the application's {@code dataSource} (which the store does not close).
     */
    public static OffsetStore jdbc(DataSource dataSource, String schema, String table) {
        Objects.requireNonNull(dataSource, "dataSource");
        return new JdbcOffsetStore(dataSource, new Masking(), dataSource.getClass().getName(), null, schema, table);
    }

    /** The store {@code cdc.offset.store} names; a {@code jdbc} one has connections of its own. */
    public static OffsetStore fromConfig(CdcConfig config) {
        if (config.get(CdcConfig.OFFSET_STORE).equals("jdbc")) {
            return new JdbcOffsetStore(requireUrl(SourceConnections.create(config)), true,
                    config.get(CdcConfig.OFFSET_JDBC_SCHEMA), config.get(CdcConfig.OFFSET_JDBC_TABLE));
        }
        return fromConfig(config, null);
    }

    /** The store {@code cdc.offset.store} names; a {@code jdbc} one borrows from the source's {@code connections}. */
    static OffsetStore fromConfig(CdcConfig config, SourceConnections connections) {
        String spec = config.get(CdcConfig.OFFSET_STORE);
        if (spec.equals("memory")) {
            return memory();
        }
        if (spec.equals("jdbc")) {
            return new JdbcOffsetStore(requireUrl(connections), false, config.get(CdcConfig.OFFSET_JDBC_SCHEMA),
                    config.get(CdcConfig.OFFSET_JDBC_TABLE));
        }
        return file(Path.of(spec.substring("file:".length())));
    }

    private static SourceConnections requireUrl(SourceConnections connections) {
        if (connections.url() == null) {
            connections.close();
            throw new CdcException("cdc.offset.store=jdbc needs cdc.jdbc.url to be set (or a HikariCP DataSource "
                    + "with a jdbcUrl).");
        }
        return connections;
    }
}
