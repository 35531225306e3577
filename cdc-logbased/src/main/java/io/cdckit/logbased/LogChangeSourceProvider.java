package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;

import java.util.List;

/**
 * The log-based strategy, {@code cdc.mode=log}: Debezium's embedded engine reads the WAL of the
 * captured tables through a {@code pgoutput} publication and replication slot, and every record
 * becomes a {@link io.cdckit.api.ChangeEvent}. Its keys live under {@code cdc.log.}.
 */
public final class LogChangeSourceProvider implements ChangeSourceProvider {

    /** The mode name. */
    public static final String MODE = "log";

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public LogChangeSourceProvider() {
    }

    @Override
    public String mode() {
        return MODE;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return LogConfig.KEYS;
    }

    @Override
    public ChangeReader createReader(CdcConfig config, SourceConnections connections) {
        connections.requireUrl("cdc.mode=log");
        return "pgoutput".equals(config.get(LogConfig.ENGINE)) ? new PgOutputChangeReader(config, connections)
                : new LogChangeReader(config, connections);
    }
}
