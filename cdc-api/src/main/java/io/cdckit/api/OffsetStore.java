package io.cdckit.api;

import java.util.Optional;

/**
 * Persists each source's last committed {@link Position}, keyed by the source's name
 * ({@code cdc.name}). One store serves every strategy.
 *
 * <p>Chosen with {@code cdc.offset.store}: {@code memory} (lost with the JVM), {@code file:PATH}
 * (a JSON file replaced atomically, fsynced, survives a kill -9) or {@code jdbc} (a table in
 * the source database, schema {@code cdc.offset.jdbc.schema}). Applications may also pass their
 * own implementation to {@link ChangeSources#builder(CdcConfig)}.
 *
 * <p>Implementations are thread-safe. {@link #save} returns only once the position is durable
 * for the store's kind.
 */
public interface OffsetStore extends AutoCloseable {

    /** The last position saved for {@code sourceName}, or empty when the source never committed. */
    Optional<Position> load(String sourceName);

    /** Saves {@code position} as the last committed position of {@code sourceName}. */
    void save(String sourceName, Position position);

    /** Releases the store's resources. */
    @Override
    default void close() {
    }
}
