package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.spi.WholeTransactions;
import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import org.postgresql.Driver;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * The Debezium engine and PostgreSQL connector properties of a source: pgoutput over cdckit's
 * publication and slot, values in the forms {@link ConnectValues} converts exactly, truncates
 * captured, low-latency polling, offsets in a {@link SeededOffsetBackingStore}, the heartbeat and
 * snapshot watermark messages let through, and finally the {@code cdc.log.debezium.*} pass-through
 * properties, which win; a passed-through {@code message.prefix.include.list} gets the watermark
 * prefix added.
 */
final class EngineProperties {

    /** Prefix of the heartbeat messages written into the WAL. */
    static final String HEARTBEAT_PREFIX = "cdckit-heartbeat";
    /** Prefix of the chunked snapshot's watermark messages written into the WAL. */
    static final String WATERMARK_PREFIX = "cdckit-watermark";
    static final String PLACEHOLDER = "__debezium_unavailable_value";

    private EngineProperties() {
    }

    /** The engine's name, which is also the namespace of its offsets. */
    static String engineName(CdcConfig config) {
        return "cdckit-" + config.name();
    }

    /** The connector's logical name ({@code topic.prefix}), the key of its source partition. */
    static String topicPrefix(CdcConfig config) {
        return config.name();
    }

    /**
     * The engine's properties; the password is asked from the source's connections now, so a
     * reopened reader logs in with the current one.
     *
     * @param debeziumSnapshot true: Debezium takes its own snapshot of a fresh source
     *                         ({@code snapshot.mode=initial}); false: it streams only
     *                         ({@code no_data}), and cdckit's chunked snapshot reads the rows
     */
    static Properties of(CdcConfig config, SourceConnections connections, String slot, String publication,
                         boolean debeziumSnapshot) throws SQLException {
        Properties urlParts = Driver.parseURL(connections.url(), null);
        if (urlParts == null) {
            throw new CdcException("cdc.jdbc.url '" + CdcConfig.maskPasswords(connections.url()) + "' is not a PostgreSQL JDBC URL: use "
                    + "jdbc:postgresql://host:port/database.");
        }
        String host = urlParts.getProperty("PGHOST", "localhost").split(",")[0];
        String port = urlParts.getProperty("PGPORT", "5432").split(",")[0];
        Properties p = new Properties();
        p.setProperty("name", engineName(config));
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", SeededOffsetBackingStore.class.getName());
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("offset.flush.timeout.ms", "10000");
        p.setProperty("database.hostname", host);
        p.setProperty("database.port", port);
        p.setProperty("database.dbname", urlParts.getProperty("PGDBNAME", ""));
        // driver properties from the URL, then cdc.jdbc.properties.*: Debezium hands database.* to the driver
        for (String k : urlParts.stringPropertyNames()) {
            if (!k.startsWith("PG") && !k.equals("user") && !k.equals("password")) {
                p.setProperty("database." + k, urlParts.getProperty(k));
            }
        }
        p.setProperty("database.connectTimeout", String.valueOf(connections.connectTimeoutSeconds()));
        connections.driverProperties().forEach((k, v) -> p.setProperty("database." + k, v));
        String user = connections.user() != null ? connections.user() : urlParts.getProperty("user");
        if (user != null) {
            p.setProperty("database.user", user);
        }
        String password = connections.password();
        password = password != null ? password : urlParts.getProperty("password");
        if (password != null) {
            p.setProperty("database.password", password);
        }
        p.setProperty("topic.prefix", topicPrefix(config));
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", slot);
        p.setProperty("publication.name", publication);
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("lsn.flush.mode", "connector");
        p.setProperty("table.include.list", includeList(config.tables()));
        io.cdckit.api.TableColumns keys = config.get(CdcConfig.KEY_COLUMNS);
        if (keys != null && !keys.columns().isEmpty()) {
            // Debezium keys its records by these columns instead of the primary key
            p.setProperty("message.key.columns", keys.debeziumValue());
        }
        p.setProperty("snapshot.mode", debeziumSnapshot ? "initial" : "no_data");
        p.setProperty("decimal.handling.mode", "precise");
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("time.precision.mode", "adaptive_time_microseconds");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("hstore.handling.mode", "map");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("skipped.operations", "none");
        p.setProperty("unavailable.value.placeholder", PLACEHOLDER);
        // whole transactions need the transaction-end records, which say where a transaction ends
        p.setProperty("provide.transaction.metadata", String.valueOf(config.get(LogConfig.TRANSACTIONS)
                || WholeTransactions.requested(config)));
        int batch = config.get(CdcConfig.BATCH_MAX_SIZE);
        p.setProperty("max.batch.size", String.valueOf(batch));
        p.setProperty("max.queue.size", String.valueOf(Math.max(8192, 4 * batch)));
        p.setProperty("poll.interval.ms", String.valueOf(config.get(LogConfig.ENGINE_POLL_INTERVAL).toMillis()));
        Duration heartbeat = config.get(LogConfig.HEARTBEAT_INTERVAL);
        if (!heartbeat.isZero()) {
            p.setProperty("heartbeat.interval.ms", String.valueOf(heartbeat.toMillis()));
            p.setProperty("heartbeat.action.query",
                    "SELECT pg_logical_emit_message(false, '" + HEARTBEAT_PREFIX + "', '')");
            p.setProperty("message.prefix.include.list", HEARTBEAT_PREFIX + "," + WATERMARK_PREFIX);
        } else {
            p.setProperty("message.prefix.include.list", WATERMARK_PREFIX);
        }
        p.setProperty("converters", "cdckit");
        p.setProperty("cdckit.type", PostgresTextConverter.class.getName());
        p.setProperty("errors.max.retries", "0");
        config.withPrefix("cdc.log.debezium.").forEach(p::setProperty);
        // a snapshot's chunks are delivered where their high watermark passes: it must not be filtered out
        String include = p.getProperty("message.prefix.include.list");
        if (p.getProperty("message.prefix.exclude.list") == null && include != null
                && java.util.Arrays.stream(include.split(",")).map(String::strip).noneMatch(WATERMARK_PREFIX::equals)) {
            p.setProperty("message.prefix.include.list", include + "," + WATERMARK_PREFIX);
        }
        return p;
    }

    /** Debezium's table.include.list: one anchored, escaped regex per table. */
    static String includeList(List<TableId> tables) {
        return tables.stream().map(t -> escape(t.schema()) + "\\." + escape(t.table()))
                .collect(Collectors.joining(","));
    }

    private static String escape(String name) {
        StringBuilder sb = new StringBuilder();
        for (char c : name.toCharArray()) {
            if ("\\.[]{}()<>*+-=!?^$|,".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
