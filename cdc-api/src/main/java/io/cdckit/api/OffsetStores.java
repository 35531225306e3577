package io.cdckit.api;

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
     * Positions kept in table {@code schema.table} of a PostgreSQL database, created if missing.
     */
    public static OffsetStore jdbc(String url, String user, String password, String schema, String table) {
        return new JdbcOffsetStore(url, user, password, schema, table);
    }

    /** The store {@code cdc.offset.store} names, with the config's connection for {@code jdbc}. */
    public static OffsetStore fromConfig(CdcConfig config) {
        String spec = config.get(CdcConfig.OFFSET_STORE);
        if (spec.equals("memory")) {
            return memory();
        }
        if (spec.equals("jdbc")) {
            if (config.jdbcUrl() == null) {
                throw new CdcException("cdc.offset.store=jdbc needs cdc.jdbc.url to be set.");
            }
            return jdbc(config.jdbcUrl(), config.jdbcUser(), config.jdbcPassword(),
                    config.get(CdcConfig.OFFSET_JDBC_SCHEMA), config.get(CdcConfig.OFFSET_JDBC_TABLE));
        }
        return file(Path.of(spec.substring("file:".length())));
    }
}
