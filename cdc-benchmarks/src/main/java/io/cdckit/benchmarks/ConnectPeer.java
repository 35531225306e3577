package io.cdckit.benchmarks;

import io.cdckit.testkit.TestDatabase;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The source connectors {@link ConnectBenchmark} compares on one Kafka Connect cluster, by their
 * {@code @Param} names: cdckit's {@code io.cdckit.connect.CdcSourceConnector} in each
 * {@code cdc.mode} ({@code log}, {@code trigger}, {@code timestamp}) and Debezium's own
 * {@code io.debezium.connector.postgresql.PostgresConnector} ({@code debezium}), the reference.
 *
 * <p>Each captures {@code public.orders} of its database with no snapshot, its own replication
 * slot and publication where it needs them, and its settings' defaults otherwise: cdckit's
 * {@code cdc.batch.max-size} 1 000 and {@code cdc.poll.interval} 100 ms (the trigger strategy in
 * its default statement flavour); Debezium's {@code max.batch.size} 2 048 and
 * {@code max.queue.size} 8 192, with {@code poll.interval.ms} at the 10 ms cdckit's log strategy
 * gives the Debezium engine inside it (Debezium's default of 500 ms would make its task sleep
 * half a second whenever its queue runs empty).
 */
enum ConnectPeer {
    LOG("log", Strategy.LOG),
    TRIGGER("trigger", Strategy.TRIGGER_STATEMENT),
    TIMESTAMP("timestamp", Strategy.TIMESTAMP),
    DEBEZIUM("debezium", Strategy.DEBEZIUM_RAW);

    static final String CDCKIT_CONNECTOR = "io.cdckit.connect.CdcSourceConnector";
    static final String DEBEZIUM_CONNECTOR = "io.debezium.connector.postgresql.PostgresConnector";
    /** Debezium's {@code poll.interval.ms} here: what cdckit's log strategy sets for its engine. */
    static final int DEBEZIUM_POLL_INTERVAL_MS = RawDebezium.POLL_INTERVAL_MS;

    private final String paramName;
    private final Strategy strategy;

    ConnectPeer(String paramName, Strategy strategy) {
        this.paramName = paramName;
        this.strategy = strategy;
    }

    String paramName() {
        return paramName;
    }

    /** The strategy whose table {@link Orders#create} makes (the timestamp strategy's gets its index). */
    Strategy strategy() {
        return strategy;
    }

    boolean isDebezium() {
        return this == DEBEZIUM;
    }

    static ConnectPeer of(String paramName) {
        for (ConnectPeer p : values()) {
            if (p.paramName.equals(paramName.strip())) {
                return p;
            }
        }
        throw new IllegalArgumentException("Unknown connector '" + paramName + "': use log, trigger, timestamp or debezium");
    }

    /**
     * The peers of a list separated by {@code ,} or {@code +}, in its order, each once. On JMH's
     * command line a comma separates values of a parameter (each its own trial), so
     * {@code -p peers=log+debezium} measures the two interleaved in one trial.
     */
    static List<ConnectPeer> list(String names) {
        return java.util.Arrays.stream(names.split("[,+\\s]+")).filter(s -> !s.isBlank()).map(ConnectPeer::of)
                .distinct().toList();
    }

    /**
     * The connector config capturing {@code public.orders} of {@code db}, writing to
     * {@code <prefix>.public.orders}; slot and publication are named after {@code prefix}.
     */
    Map<String, String> config(TestDatabase db, String prefix) {
        String object = prefix.replace('-', '_').toLowerCase(Locale.ROOT);
        Map<String, String> c = new LinkedHashMap<>();
        c.put("tasks.max", "1");
        c.put("topic.prefix", prefix);
        if (this == DEBEZIUM) {
            Properties url = org.postgresql.Driver.parseURL(db.jdbcUrl(), null);
            c.put("connector.class", DEBEZIUM_CONNECTOR);
            c.put("database.hostname", url.getProperty("PGHOST", "localhost").split(",")[0]);
            c.put("database.port", url.getProperty("PGPORT", "5432").split(",")[0]);
            c.put("database.dbname", url.getProperty("PGDBNAME"));
            c.put("database.user", db.user());
            if (db.password() != null) {
                c.put("database.password", db.password());
            }
            c.put("plugin.name", "pgoutput");
            c.put("slot.name", object + "_slot");
            c.put("publication.name", object + "_pub");
            c.put("publication.autocreate.mode", "filtered");
            c.put("table.include.list", "public\\.orders");
            c.put("snapshot.mode", "no_data");
            c.put("poll.interval.ms", String.valueOf(DEBEZIUM_POLL_INTERVAL_MS));
            return c;
        }
        c.put("connector.class", CDCKIT_CONNECTOR);
        c.put("cdc.mode", paramName);
        c.putAll(db.cdcProperties());
        c.put("cdc.tables", Orders.TABLE);
        c.put("cdc.snapshot.mode", "never");
        if (this == LOG) {
            c.put("cdc.log.slot", object + "_slot");
            c.put("cdc.log.publication", object + "_pub");
        }
        return c;
    }
}
