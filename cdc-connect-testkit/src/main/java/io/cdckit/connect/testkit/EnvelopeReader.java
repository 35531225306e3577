package io.cdckit.connect.testkit;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the connector's topics as a consumer would, through Connect's own {@link JsonConverter}
 * (with schemas), and turns the Debezium envelopes back into {@link ChangeEvent}s that the
 * testkit's {@code ReplicaVerifier} can apply: values as the JSON converter gives them
 * (decimals as BigDecimal, {@code ZonedTimestamp} as its ISO text, which PostgreSQL reads back).
 * Tombstones are skipped.
 */
public final class EnvelopeReader implements AutoCloseable {

    /** One change read: the event, its topic offset and the source block. */
    public record Read(ChangeEvent event, long offset, Struct source) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final JsonConverter values = new JsonConverter();
    private final JsonConverter keys = new JsonConverter();
    private final List<Read> read = new ArrayList<>();

    public EnvelopeReader(ConnectTestCluster cluster, String topic) {
        values.configure(Map.of("schemas.enable", "true"), false);
        keys.configure(Map.of("schemas.enable", "true"), true);
        consumer = cluster.readCommittedConsumer();
        consumer.subscribe(List.of(topic));
    }

    /** Everything read so far, in topic order. */
    public synchronized List<Read> read() {
        return List.copyOf(read);
    }

    /** Reads what arrives within {@code wait}; returns the changes read by this call. */
    public synchronized List<Read> poll(Duration wait) {
        List<Read> got = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
            if (r.value() == null) {
                continue;
            }
            SchemaAndValue v = values.toConnectData(r.topic(), r.value());
            SchemaAndValue k = r.key() == null ? null : keys.toConnectData(r.topic(), r.key());
            Struct envelope = (Struct) v.value();
            Struct source = envelope.getStruct("source");
            Map<String, Object> key = k == null ? Map.of() : map((Struct) k.value());
            SourceInfo info = new SourceInfo(source.getString("version"), source.getString("connector"),
                    source.getString("name"), source.getInt64("ts_ms"), source.getString("snapshot"),
                    source.getString("db"), source.getString("schema"), source.getString("table"),
                    source.getInt64("txId"), source.getInt64("lsn"), source.getInt64("xmin"),
                    source.getString("sequence"));
            ChangeEvent e = new ChangeEvent(Op.fromCode(envelope.getString("op")), map(envelope.getStruct("before")),
                    map(envelope.getStruct("after")), key, info, envelope.getInt64("ts_ms"),
                    transaction(envelope.getStruct("transaction")), Position.of("offset", r.offset()));
            Read one = new Read(e, r.offset(), source);
            got.add(one);
            read.add(one);
        }
        return got;
    }

    private static io.cdckit.api.TransactionInfo transaction(Struct t) {
        if (t == null) {
            return null;
        }
        return new io.cdckit.api.TransactionInfo(t.getString("id"), t.getInt64("total_order"),
                t.getInt64("data_collection_order"),
                t.schema().field("event_count") == null ? null : t.getInt64("event_count"));
    }

    private static Map<String, Object> map(Struct s) {
        if (s == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (Field f : s.schema().fields()) {
            m.put(f.name(), s.get(f));
        }
        return m;
    }

    @Override
    public synchronized void close() {
        consumer.close();
    }
}
