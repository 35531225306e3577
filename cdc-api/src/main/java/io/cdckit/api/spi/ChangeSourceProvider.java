package io.cdckit.api.spi;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.jdbc.SourceConnections;

import java.util.List;

/**
 * A capture strategy, found with {@link java.util.ServiceLoader}: a module registers its
 * provider in {@code META-INF/services/io.cdckit.api.spi.ChangeSourceProvider}, and
 * {@link io.cdckit.api.ChangeSources#create} picks it when {@code cdc.mode} equals its
 * {@link #mode()}. Nothing else changes to add a strategy.
 */
public interface ChangeSourceProvider {

    /** The value of {@code cdc.mode} that selects this strategy, e.g. {@code "log"}. */
    String mode();

    /** The keys this strategy adds, by convention under {@code cdc.<mode>.}. */
    List<ConfigKey<?>> configKeys();

    /**
     * Creates the strategy's reader for a validated config. Must not connect yet: that happens in
     * {@link ChangeReader#open}. Every connection the reader needs comes from {@code connections}:
     * borrowed ones for short work, dedicated ones for work that keeps session state. The source
     * owns them and closes them after its last reader.
     */
    ChangeReader createReader(CdcConfig config, SourceConnections connections);
}
