package io.cdckit.connect;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TransactionInfo;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * Turns cdckit's events into Connect records in Debezium's form: the key struct of the key
 * columns as the record key, the envelope as the value, one topic per table, the event's
 * position as the source offset. A delete is followed by a tombstone (same key, null value) when
 * {@code tombstones.on.delete} is on, as Debezium does, so compacted topics forget deleted rows;
 * a truncate has no key.
 */
final class EventRecords {

    private final EventSchemas schemas;
    private final boolean tombstones;

    EventRecords(EventSchemas schemas, boolean tombstones) {
        this.schemas = schemas;
        this.tombstones = tombstones;
    }

    /** Adds the records of {@code event} to {@code out}, with {@code partition} as their source partition. */
    void add(ChangeEvent event, Map<String, ?> partition, List<SourceRecord> out) throws SQLException {
        Map<String, Object> offset = event.position().fields();
        String topic = schemas.topic(event.table());
        EventSchemas.Shapes shapes = schemas.of(event, false);
        Struct value;
        Struct key;
        try {
            value = envelope(event, shapes);
            key = key(event, shapes);
        } catch (NullInRequiredField e) {
            shapes = schemas.of(event, true);
            value = envelope(event, shapes);
            key = key(event, shapes);
        }
        Long timestamp = event.source().tsMs() != null ? event.source().tsMs() : event.tsMs();
        out.add(new SourceRecord(partition, offset, topic, null, shapes.key(), key, shapes.envelope(), value,
                timestamp));
        if (tombstones && event.op() == Op.DELETE && key != null) {
            out.add(new SourceRecord(partition, offset, topic, null, shapes.key(), key, null, null, timestamp));
        }
    }

    private static Struct key(ChangeEvent event, EventSchemas.Shapes shapes) {
        if (shapes.key() == null) {
            return null;
        }
        return fill(new Struct(shapes.key()), event.key(), shapes);
    }

    private static Struct envelope(ChangeEvent event, EventSchemas.Shapes shapes) {
        Struct v = new Struct(shapes.envelope());
        if (event.before() != null) {
            v.put("before", fill(new Struct(shapes.row()), event.before(), shapes));
        }
        if (event.after() != null) {
            v.put("after", fill(new Struct(shapes.row()), event.after(), shapes));
        }
        v.put("source", source(event));
        TransactionInfo tx = event.transaction();
        if (tx != null) {
            v.put("transaction", new Struct(EventSchemas.TRANSACTION).put("id", tx.id())
                    .put("total_order", tx.totalOrder()).put("data_collection_order", tx.dataCollectionOrder())
                    .put("event_count", tx.eventCount()));
        }
        v.put("op", event.op().code());
        v.put("ts_ms", event.tsMs());
        v.put("ts_us", event.tsMs() * 1_000L);
        v.put("ts_ns", event.tsMs() * 1_000_000L);
        return v;
    }

    private static Struct fill(Struct struct, Map<String, Object> image, EventSchemas.Shapes shapes) {
        for (Field f : struct.schema().fields()) {
            Object raw = image.get(f.name());
            Object converted;
            if (raw instanceof com.fasterxml.jackson.databind.JsonNode json && shapes.jsonb().contains(f.name())) {
                converted = JsonbText.print(json);
            } else if (raw instanceof java.time.Instant instant && shapes.zonedDigits().containsKey(f.name())) {
                converted = ColumnSchemas.zonedTimestamp(instant, shapes.zonedDigits().get(f.name()));
            } else {
                converted = ColumnSchemas.value(f.schema(), raw);
            }
            if (converted == null && !f.schema().isOptional()) {
                throw new NullInRequiredField();
            }
            struct.put(f, converted);
        }
        return struct;
    }

    private static Struct source(ChangeEvent event) {
        SourceInfo s = event.source();
        long tsMs = s.tsMs() != null ? s.tsMs() : event.tsMs();
        return new Struct(EventSchemas.SOURCE)
                .put("version", orEmpty(s.version()))
                .put("connector", orEmpty(s.connector()))
                .put("name", orEmpty(s.name()))
                .put("ts_ms", tsMs)
                .put("snapshot", s.snapshot() == null ? SourceInfo.SNAPSHOT_FALSE : s.snapshot())
                .put("db", orEmpty(s.db()))
                .put("sequence", s.sequence())
                .put("ts_us", tsMs * 1_000L)
                .put("ts_ns", tsMs * 1_000_000L)
                .put("schema", orEmpty(s.schema()))
                .put("table", orEmpty(s.table()))
                .put("txId", s.txId())
                .put("lsn", s.lsn())
                .put("xmin", s.xmin());
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** A NOT NULL column whose value the column's Connect type cannot hold (NaN, infinity): retry with loose schemas. */
    private static final class NullInRequiredField extends RuntimeException {
        NullInRequiredField() {
            super(null, null, false, false);
        }
    }
}
