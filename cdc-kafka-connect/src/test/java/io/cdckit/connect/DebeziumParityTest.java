package io.cdckit.connect;

import io.cdckit.api.TableId;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TypeMatrix;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The records of cdckit's connector against those of Debezium's own PostgreSQL connector, on
 * the same table of every type in the type table, in the same Connect cluster: per column the
 * same Connect schema (type, logical name, parameters) and the same value, the same key, the
 * same topic layout and envelope fields. The columns where cdckit knowingly differs are listed
 * with the reason; every other column must match exactly.
 */
@PostgresTest
class DebeziumParityTest {

    /**
     * Where cdckit's records differ from Debezium's, on purpose: Debezium types enums with the
     * list of their labels and intervals as microseconds; cdckit gives PostgreSQL's text for both
     * (its event model has no interval or enum type).
     */
    private static final Set<String> KNOWN_DIFFERENCES = Set.of("c_enum", "c_interval");
    /**
     * Debezium prints a timestamptz with exactly the column's fractional digits (6 when unspecified),
     * trailing zeros included, and seconds even when zero: values whose fraction has trailing zeros,
     * in columns of several precisions, so a shorter form fails whatever the clock says.
     */
    private static final String ZONED_PRECISIONS = "tz_whole timestamptz DEFAULT '2024-01-01 00:00:00+00', "
            + "tz_half timestamptz DEFAULT '2024-01-01 12:30:00.5+00', "
            + "tz_p3 timestamptz(3) DEFAULT '2024-01-01 12:30:00.5+00', "
            + "tz_p0 timestamptz(0) DEFAULT '2024-01-01 12:30:00+00', ";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @ParameterizedTest
    @ValueSource(strings = {"trigger", "log", "log-pgoutput"})
    void everyTypeHasDebeziumsSchemaAndValue(String mode, TestDatabase db) throws Exception {
        String slug = mode.replace('-', '_');
        TableId table = new TableId("public", "parity_" + slug);
        db.execute("DO $$ BEGIN CREATE TYPE contract_mood AS ENUM ('sad', 'ok', 'happy'); "
                        + "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT "
                        + "clock_timestamp(), " + ZONED_PRECISIONS + TypeMatrix.columnDefinitions() + ")",
                "ALTER TABLE " + table.quoted() + " REPLICA IDENTITY FULL");
        List<Map<String, Object>> rows = TypeMatrix.rows();
        try (Connection c = db.connect()) {
            for (int i = 0; i < rows.size(); i++) {
                TypeMatrix.insert(c, table, i + 1, rows.get(i));
            }
        }
        try (ConnectTestCluster cluster = ConnectTestCluster.start(1, false)) {
            Map<String, String> cdckit = ConnectorConfigs.cdckit(db, mode, "ck-" + mode, table);
            cluster.configure("cdckit-parity-" + mode, cdckit);
            cluster.configure("debezium-parity-" + mode, debezium(db, "dbz-" + mode, table, "dbz_parity_" + slug));
            String ourTopic = ConnectorConfigs.topic("ck-" + mode, table);
            String theirTopic = ConnectorConfigs.topic("dbz-" + mode, table);
            assertSameImages(read(cluster, ourTopic, rows.size(), "r"), read(cluster, theirTopic, rows.size(), "r"),
                    rows.size(), "r");

            // the same values again, streamed: each row updated to itself
            db.execute("UPDATE " + table.quoted() + " SET id = id");
            Map<Integer, Struct> ours = read(cluster, ourTopic, rows.size(), "u");
            assertSameImages(ours, read(cluster, theirTopic, rows.size(), "u"), rows.size(), "u");

            Struct envelope = ours.get(1);
            assertThat(envelope.schema().fields()).extracting(Field::name)
                    .containsAll(List.of("before", "after", "source", "op", "ts_ms", "transaction"));
            assertThat(envelope.getStruct("source").getString("table")).isEqualTo(table.table());
            assertThat(envelope.getStruct("source").getString("schema")).isEqualTo(table.schema());
        }
    }

    /**
     * Each row's images: the same fields, schemas and values as Debezium's, known differences
     * aside; the after image, and for an update the before image too.
     */
    private static void assertSameImages(Map<Integer, Struct> ours, Map<Integer, Struct> theirs, int rows, String op) {
        for (int id = 1; id <= rows; id++) {
            Struct mine = ours.get(id);
            Struct dbz = theirs.get(id);
            assertThat(mine).as("cdckit's %s of row %d", op, id).isNotNull();
            assertThat(dbz).as("Debezium's %s of row %d", op, id).isNotNull();
            assertThat(mine.getString("op")).isEqualTo(dbz.getString("op")).isEqualTo(op);
            assertSameImage(mine.getStruct("after"), dbz.getStruct("after"), op + " after", id);
            if (op.equals("u")) {
                assertSameImage(mine.getStruct("before"), dbz.getStruct("before"), op + " before", id);
            }
        }
    }

    private static void assertSameImage(Struct a, Struct b, String what, int id) {
        assertThat(a).as("cdckit's %s image of row %d", what, id).isNotNull();
        assertThat(b).as("Debezium's %s image of row %d", what, id).isNotNull();
        List<String> differences = new ArrayList<>();
        for (Field f : b.schema().fields()) {
            if (KNOWN_DIFFERENCES.contains(f.name())) {
                continue;
            }
            Field g = a.schema().field(f.name());
            if (g == null) {
                differences.add(f.name() + ": missing");
                continue;
            }
            String want = describe(f.schema()) + " = " + normalise(b.get(f));
            String got = describe(g.schema()) + " = " + normalise(a.get(g));
            if (!want.equals(got)) {
                differences.add(f.name() + ": Debezium " + want + ", cdckit " + got);
            }
        }
        assertThat(differences).as("%s, row %d (%s)", what, id, TypeMatrix.describe(id - 1)).isEmpty();
        assertThat(a.schema().fields()).extracting(Field::name)
                .containsExactlyElementsOf(b.schema().fields().stream().map(Field::name).toList());
    }

    static Map<String, String> debezium(TestDatabase db, String prefix, TableId table, String slot) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        c.put("tasks.max", "1");
        c.put("database.hostname", db.server().host());
        c.put("database.port", String.valueOf(db.server().port()));
        c.put("database.user", db.user());
        c.put("database.password", db.password());
        c.put("database.dbname", db.name());
        c.put("topic.prefix", prefix);
        c.put("plugin.name", "pgoutput");
        c.put("slot.name", slot);
        c.put("publication.name", slot + "_pub");
        c.put("publication.autocreate.mode", "filtered");
        c.put("table.include.list", table.schema() + "." + table.table());
        c.put("snapshot.mode", "initial");
        return c;
    }

    /** The envelopes of operation {@code op} in a topic by row id, once {@code rows} of them arrived. */
    private static Map<Integer, Struct> read(ConnectTestCluster cluster, String topic, int rows, String op) {
        JsonConverter json = new JsonConverter();
        json.configure(Map.of("schemas.enable", "true"), false);
        Map<Integer, Struct> byId = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.readCommittedConsumer()) {
            consumer.subscribe(List.of(topic));
            await().atMost(WAIT).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    if (r.value() != null) {
                        Struct envelope = (Struct) json.toConnectData(topic, r.value()).value();
                        if (op.equals(envelope.getString("op"))) {
                            byId.put(envelope.getStruct("after").getInt32("id"), envelope);
                        }
                    }
                }
                return byId.size() >= rows;
            });
        }
        return byId;
    }

    private static String describe(Schema s) {
        String d = s.type() + (s.name() == null ? "" : "(" + s.name() + ")")
                + (s.parameters() == null || s.parameters().isEmpty() ? "" : new TreeMap<>(s.parameters()));
        return s.type() == Schema.Type.ARRAY ? d + "<" + describe(s.valueSchema()) + ">" : d;
    }

    private static String normalise(Object v) {
        if (v instanceof byte[] bytes) {
            return "0x" + HexFormat.of().formatHex(bytes);
        }
        if (v instanceof java.nio.ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            return "0x" + HexFormat.of().formatHex(bytes);
        }
        if (v instanceof Struct s) {
            Map<String, String> m = new LinkedHashMap<>();
            s.schema().fields().forEach(f -> m.put(f.name(), normalise(s.get(f))));
            return m.toString();
        }
        if (v instanceof List<?> list) {
            return list.stream().map(DebeziumParityTest::normalise).toList().toString();
        }
        return String.valueOf(v);
    }
}
