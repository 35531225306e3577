package io.cdckit.connect.testkit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The config of Debezium's JDBC sink connector ({@code io.debezium.connector.jdbc.JdbcSinkConnector})
 * reading cdckit's topics into a PostgreSQL database: upserts by the record key, deletes on
 * delete events, tables created and extended from the records' schemas, each table named as the
 * source table. Used by the connector's end-to-end test and the scaled-out demo.
 */
public final class DebeziumJdbcSink {

    private DebeziumJdbcSink() {
    }

    /**
     * The sink over the topics under {@code topicPrefix} into the database at {@code jdbcUrl}. The
     * sink's consumer refreshes its metadata every second, so that a regex subscription finds the
     * topics of tables whose first change comes after the sink started (the default is every five
     * minutes).
     */
    public static Map<String, String> config(String topicPrefix, String jdbcUrl, String user, String password) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", "io.debezium.connector.jdbc.JdbcSinkConnector");
        c.put("tasks.max", "1");
        c.put("topics.regex", java.util.regex.Pattern.quote(topicPrefix + ".") + ".*");
        c.put("consumer.override.metadata.max.age.ms", "1000");
        c.put("connection.url", jdbcUrl);
        c.put("connection.username", user);
        c.put("connection.password", password);
        c.put("insert.mode", "upsert");
        c.put("delete.enabled", "true");
        c.put("primary.key.mode", "record_key");
        c.put("schema.evolution", "basic");
        c.put("collection.name.format", "${source.table}");
        return c;
    }
}
