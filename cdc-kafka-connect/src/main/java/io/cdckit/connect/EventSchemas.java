package io.cdckit.connect;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.TableId;
import io.cdckit.api.TopicNames;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.jdbc.TableSchema;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Connect schemas of each table's records, in Debezium's shapes: the key struct
 * ({@code <topic>.Key}), the row struct ({@code <topic>.Value}) and the envelope
 * ({@code <topic>.Envelope}: {@code before}, {@code after}, {@code source}, {@code transaction},
 * {@code op}, {@code ts_ms}, {@code ts_us}, {@code ts_ns}).
 *
 * <p>Column types come from PostgreSQL's catalog (read on a borrowed connection, once per table
 * and again when an event has columns the cached catalog does not know, after an
 * {@code ALTER TABLE}); a column the catalog no longer has is typed from its value. The schemas
 * are cached per table and set of columns, so an unchanged table reuses one schema object and
 * the converters register one schema version.
 */
final class EventSchemas {

    /** Debezium's PostgreSQL {@code source} block. */
    static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("version", Schema.STRING_SCHEMA)
            .field("connector", Schema.STRING_SCHEMA)
            .field("name", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .field("snapshot", SchemaBuilder.string().optional().name("io.debezium.data.Enum").version(1)
                    .parameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,"
                            + "incremental")
                    .defaultValue("false").build())
            .field("db", Schema.STRING_SCHEMA)
            .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
            .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
            .field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA)
            .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("xmin", Schema.OPTIONAL_INT64_SCHEMA)
            .build();

    /**
     * Debezium's transaction block, with the transaction's event count added (set with
     * {@code cdc.batch.transactions=whole}; Debezium gives it only in its transaction-end records).
     */
    static final Schema TRANSACTION = SchemaBuilder.struct().name("event.block").version(1).optional()
            .field("id", Schema.STRING_SCHEMA)
            .field("total_order", Schema.INT64_SCHEMA)
            .field("data_collection_order", Schema.INT64_SCHEMA)
            .field("event_count", Schema.OPTIONAL_INT64_SCHEMA)
            .build();

    /**
     * The schemas of one shape of a table's records, which row columns are {@code jsonb} (their
     * values print as PostgreSQL prints jsonb), and the fractional digits of the {@code timestamptz}
     * columns (Debezium prints exactly the column's precision).
     */
    record Shapes(Schema key, Schema row, Schema envelope, Set<String> jsonb, Map<String, Integer> zonedDigits) {
    }

    private final String topicPrefix;
    private final SourceConnections connections;
    private final Map<TableId, TableSchema> catalog = new HashMap<>();
    private final Map<String, Shapes> shapes = new HashMap<>();

    EventSchemas(String topicPrefix, SourceConnections connections) {
        this.topicPrefix = topicPrefix;
        this.connections = connections;
    }

    /** The topic of {@code table}'s records. */
    String topic(TableId table) {
        return TopicNames.topic(topicPrefix, table);
    }

    /**
     * The schemas for {@code event}: its row struct has the columns of its images, in the
     * table's order. With {@code loose}, every column is optional (for a value the column's
     * type cannot hold, which becomes null).
     */
    Shapes of(ChangeEvent event, boolean loose) throws SQLException {
        TableId table = event.table();
        List<String> columns = columns(event);
        String signature = table + "\u0000" + String.join("\u0001", columns) + "\u0000"
                + String.join("\u0001", event.key().keySet()) + (loose ? "\u0000loose" : "");
        Shapes s = shapes.get(signature);
        if (s != null) {
            return s;
        }
        TableSchema known = catalog.get(table);
        if (known == null || !names(known).containsAll(columns)) {
            known = load(table);
        }
        s = build(table, known, columns, event, loose);
        shapes.put(signature, s);
        return s;
    }

    private TableSchema load(TableId table) throws SQLException {
        try (Connection c = connections.borrow()) {
            TableSchema t = TableSchema.load(c, table);
            catalog.put(table, t);
            return t;
        }
    }

    private Shapes build(TableId table, TableSchema known, List<String> columns, ChangeEvent event, boolean loose) {
        String topic = topic(table);
        Map<String, TableSchema.Column> byName = new HashMap<>();
        known.columns().forEach(c -> byName.put(c.name(), c));
        SchemaBuilder row = SchemaBuilder.struct().name(topic + ".Value").optional();
        Set<String> jsonb = new java.util.HashSet<>();
        Map<String, Integer> zonedDigits = new HashMap<>();
        for (String name : columns) {
            TableSchema.Column c = byName.get(name);
            if (c != null && c.typeName().equals("jsonb")) {
                jsonb.add(name);
            }
            if (c != null && ColumnSchemas.zonedDigits(c) > 0) {
                zonedDigits.put(name, ColumnSchemas.zonedDigits(c));
            }
            row.field(name, c == null ? ColumnSchemas.inferred(sample(event, name))
                    : ColumnSchemas.of(c, loose || !c.notNull()));
        }
        Schema rowSchema = row.build();
        Schema keySchema = null;
        if (!event.key().isEmpty()) {
            SchemaBuilder key = SchemaBuilder.struct().name(topic + ".Key");
            for (String name : event.key().keySet()) {
                TableSchema.Column c = byName.get(name);
                key.field(name, c == null ? ColumnSchemas.inferred(event.key().get(name))
                        : ColumnSchemas.of(c, loose || !c.notNull()));
            }
            keySchema = key.build();
        }
        Schema envelope = SchemaBuilder.struct().name(topic + ".Envelope").version(2)
                .field("before", rowSchema)
                .field("after", rowSchema)
                .field("source", SOURCE)
                .field("transaction", TRANSACTION)
                .field("op", Schema.STRING_SCHEMA)
                .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
                .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
                .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
                .build();
        return new Shapes(keySchema, rowSchema, envelope, Set.copyOf(jsonb), Map.copyOf(zonedDigits));
    }

    /** The columns of the event's images (after's, then any only before has), or the table's for a truncate. */
    private List<String> columns(ChangeEvent event) throws SQLException {
        Set<String> names = new LinkedHashSet<>();
        if (event.after() != null) {
            names.addAll(event.after().keySet());
        }
        if (event.before() != null) {
            names.addAll(event.before().keySet());
        }
        if (names.isEmpty()) {
            TableSchema known = catalog.get(event.table());
            names.addAll(names(known != null ? known : load(event.table())));
        }
        return new ArrayList<>(names);
    }

    private static List<String> names(TableSchema t) {
        return t.columns().stream().map(TableSchema.Column::name).toList();
    }

    private static Object sample(ChangeEvent event, String column) {
        Object v = event.after() == null ? null : event.after().get(column);
        return v != null || event.before() == null ? v : event.before().get(column);
    }
}
