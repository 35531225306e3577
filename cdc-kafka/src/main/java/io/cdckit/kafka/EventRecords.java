package io.cdckit.kafka;

import io.cdckit.api.TopicNames;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeEventJson;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.TableId;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns events into Kafka records: the topic of the event's table, the key columns as a JSON object
 * (Debezium's key payload with schemas disabled, values written as {@link ChangeEventJson} writes
 * them), the value exactly as {@link ChangeEventJson#write} writes the event, and the operation in
 * the {@value KafkaChangeHandler#OP_HEADER} header. A delete may be followed by a tombstone: the
 * same key with a null value, so that log compaction can drop the row's records.
 */
final class EventRecords {

    private static final ObjectMapper JSON = ChangeEventJson.mapper();
    private static final Position NO_POSITION = new Position(Map.of());
    private static final byte[][] OP_CODES = new byte[Op.values().length][];

    static {
        for (Op op : Op.values()) {
            OP_CODES[op.ordinal()] = op.code().getBytes(StandardCharsets.UTF_8);
        }
    }

    private final String topicPrefix;
    private final boolean tombstones;

    EventRecords(String topicPrefix, boolean tombstones) {
        this.topicPrefix = topicPrefix;
        this.tombstones = tombstones;
    }

    /** The records of a batch, in its order. */
    List<ProducerRecord<byte[], byte[]>> of(List<ChangeEvent> events) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(events.size() + (tombstones ? 8 : 0));
        for (ChangeEvent event : events) {
            String topic = topic(event);
            byte[] key = key(event);
            byte[] value = ChangeEventJson.write(event).getBytes(StandardCharsets.UTF_8);
            RecordHeaders headers = new RecordHeaders();
            headers.add(new RecordHeader(KafkaChangeHandler.OP_HEADER, OP_CODES[event.op().ordinal()]));
            records.add(new ProducerRecord<>(topic, null, key, value, headers));
            if (tombstones && event.op() == Op.DELETE && key != null) {
                records.add(new ProducerRecord<>(topic, null, key, null));
            }
        }
        return records;
    }

    /** The topic of an event's table. */
    String topic(ChangeEvent event) {
        TableId table = event.table();
        if (table == null) {
            throw new IllegalArgumentException("event without schema and table cannot be given a topic: op "
                    + event.op().code() + " at " + event.position().fields());
        }
        return TopicNames.topic(topicPrefix, table);
    }

    /**
     * The key columns as a JSON object, or null when the event has none (a truncate, or a table
     * without a key): such records go to any partition.
     */
    static byte[] key(ChangeEvent event) {
        if (event.key().isEmpty()) {
            return null;
        }
        // the key written as the envelope writes its "key" field, so values and their forms agree
        ChangeEvent keyOnly = new ChangeEvent(event.op(), null, null, event.key(), event.source(), 0L, null,
                NO_POSITION);
        JsonNode key = ChangeEventJson.toJsonNode(keyOnly).get("key");
        try {
            return JSON.writeValueAsBytes(key);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write the key of " + event.table() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }
}
