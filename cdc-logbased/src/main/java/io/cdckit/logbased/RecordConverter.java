package io.cdckit.logbased;

import io.cdckit.api.CdckitVersion;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.HandedOver;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TransactionInfo;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns one of Debezium's change records into a {@link Change}: typed values, the {@code source}
 * block (commit time, transaction id, LSN), transaction metadata when requested, and the record's
 * source offset, which becomes the event's {@link Position} once the reader adds its own fields.
 * Heartbeats, transaction boundaries, logical messages and tombstones are not changes: they
 * convert to null; the snapshot's watermark messages convert to a {@link Watermark}.
 */
final class RecordConverter {

    /** Debezium's envelope schema names end with this. */
    private static final String ENVELOPE = ".Envelope";
    /** Envelope schemas whose fields are kept looked up; more are dropped all at once. */
    private static final int MAX_SCHEMAS = 1024;

    /**
     * A converted change. The event is built on the reader's thread, when the fields the reader adds
     * to every position (the snapshot's progress, the captured tables) are known.
     *
     * @param offset the record's source offset (values as {@link #offsetFields} makes them position fields)
     */
    record Change(Op op, Map<String, Object> before, Map<String, Object> after, Map<String, Object> key,
                  SourceInfo source, long tsMs, TransactionInfo transaction, Map<String, ?> offset) {

        /** The event, its position being the offset with {@code extra} fields added: one copy. */
        ChangeEvent event(Map<String, Object> extra) {
            int n = offset.size() + extra.size();
            Map<String, Object> fields = new LinkedHashMap<>(n + n / 3 + 1);
            offset.forEach((k, v) -> fields.put(k, positionValue(v)));
            fields.putAll(extra);
            return new ChangeEvent(op, before, after, key, source, tsMs, transaction,
                    new Position(HandedOver.map(fields)));
        }
    }

    /**
     * A watermark message of a chunked snapshot, read back from the WAL.
     *
     * @param text   what the message says
     * @param offset the record's source offset, as position fields
     */
    record Watermark(String text, Map<String, Object> offset) {
    }

    private final String sourceName;
    private final ConnectValues values;
    /** Each table has an envelope schema of its own (a new one after a schema change). */
    private final Map<Schema, Envelope> envelopes = new IdentityHashMap<>();
    private Source lastSource;

    RecordConverter(String sourceName, String unavailablePlaceholder) {
        this.sourceName = sourceName;
        this.values = new ConnectValues(unavailablePlaceholder);
    }

    /** True when {@link #change} gives a change for the record: a cheap look at its envelope, without converting values. */
    static boolean isChange(SourceRecord record) {
        Schema valueSchema = record.valueSchema();
        return record.value() instanceof Struct value && valueSchema != null && valueSchema.name() != null
                && valueSchema.name().endsWith(ENVELOPE) && op(value.getString("op")) != null;
    }

    /** True when a change record carries Debezium's transaction block (metadata on, not a snapshot read). */
    static boolean inTransaction(SourceRecord record) {
        Struct value = (Struct) record.value();
        return value.schema().field("transaction") != null && value.getStruct("transaction") != null;
    }

    /** True for Debezium's transaction-end record (transaction metadata: status END, with its event count). */
    static boolean isTransactionEnd(SourceRecord record) {
        if (!(record.value() instanceof Struct value)) {
            return false;
        }
        Schema schema = value.schema();
        return schema.field("status") != null && schema.field("event_count") != null
                && "END".equals(value.getString("status"));
    }

    /** The change of a record, or null when the record is not a row or table change. */
    Change change(SourceRecord record) {
        Schema valueSchema = record.valueSchema();
        if (!(record.value() instanceof Struct value) || valueSchema == null || valueSchema.name() == null
                || !valueSchema.name().endsWith(ENVELOPE)) {
            return null;
        }
        Envelope e = envelope(value.schema());
        Op op = e.op() == null ? null : op((String) value.get(e.op()));
        if (op == null) {
            return null;
        }
        Map<String, Object> before = values.row((Struct) get(value, e.before()));
        Map<String, Object> after = values.row((Struct) get(value, e.after()));
        fillUnavailable(before, after);
        Map<String, Object> key = record.key() instanceof Struct k ? values.row(k) : null;
        Struct src = (Struct) value.get(e.source());
        Source f = source(src.schema());
        SourceInfo source = new SourceInfo(CdckitVersion.get(), LogChangeSourceProvider.MODE, sourceName,
                (Long) src.get(f.tsMs()), snapshot(get(src, f.snapshot())), (String) src.get(f.db()),
                (String) src.get(f.schema()), (String) src.get(f.table()), (Long) get(src, f.txId()),
                (Long) get(src, f.lsn()), (Long) get(src, f.xmin()), (String) get(src, f.sequence()));
        Long tsMs = (Long) get(value, e.tsMs());
        return new Change(op, op == Op.TRUNCATE || before == null ? null : HandedOver.map(before),
                op == Op.TRUNCATE || after == null ? null : HandedOver.map(after),
                op == Op.TRUNCATE || key == null ? null : HandedOver.map(key), source, tsMs == null ? System.currentTimeMillis() : tsMs,
                transaction((Struct) get(value, e.transaction()), source.txId()),
                record.sourceOffset());
    }

    /**
     * The fields of a change envelope, looked up once per schema: a struct's fields by name cost a
     * hash lookup and a type check each, about as much as converting the row's values.
     */
    private record Envelope(Field op, Field before, Field after, Field source, Field tsMs, Field transaction) {
    }

    /** The fields of Debezium's {@code source} block, looked up once per schema. */
    private record Source(Schema of, Field tsMs, Field snapshot, Field db, Field schema, Field table,
                          Field txId, Field lsn, Field xmin, Field sequence) {
    }

    private Envelope envelope(Schema schema) {
        Envelope e = envelopes.get(schema);
        if (e == null) {
            if (envelopes.size() >= MAX_SCHEMAS) {
                envelopes.clear(); // schema changes make new schemas: keep only those in use
            }
            e = new Envelope(schema.field("op"), schema.field("before"), schema.field("after"),
                    schema.field("source"), schema.field("ts_ms"), schema.field("transaction"));
            envelopes.put(schema, e);
        }
        return e;
    }

    private Source source(Schema schema) {
        Source f = lastSource;
        if (f == null || f.of() != schema) {
            f = new Source(schema, schema.field("ts_ms"), schema.field("snapshot"), schema.field("db"),
                    schema.field("schema"), schema.field("table"), schema.field("txId"), schema.field("lsn"),
                    schema.field("xmin"), schema.field("sequence"));
            lastSource = f;
        }
        return f;
    }

    /** A field's value, null when the schema has no such field. */
    private static Object get(Struct s, Field field) {
        return field == null ? null : s.get(field);
    }

    /**
     * The watermark a record carries: a logical decoding message with the prefix
     * {@code prefix}; null for every other record.
     */
    static Watermark watermark(SourceRecord record, String prefix) {
        if (!(record.value() instanceof Struct value) || value.schema().field("message") == null
                || value.schema().field("op") == null || !"m".equals(value.getString("op"))) {
            return null;
        }
        Struct message = value.getStruct("message");
        if (message == null || message.schema().field("prefix") == null || !prefix.equals(message.getString("prefix"))) {
            return null;
        }
        Object content = message.get("content");
        String text;
        if (content instanceof byte[] b) {
            text = new String(b, StandardCharsets.UTF_8);
        } else if (content instanceof ByteBuffer bb) {
            ByteBuffer copy = bb.duplicate();
            byte[] b = new byte[copy.remaining()];
            copy.get(b);
            text = new String(b, StandardCharsets.UTF_8);
        } else {
            text = String.valueOf(content);
        }
        return new Watermark(text, offsetFields(record.sourceOffset()));
    }

    /** The offset map of a record as position fields (values are longs, strings and booleans). */
    static Map<String, Object> offsetFields(Map<String, ?> offset) {
        Map<String, Object> fields = new LinkedHashMap<>();
        offset.forEach((k, v) -> fields.put(k, positionValue(v)));
        return fields;
    }

    /** An offset value as a position field: numbers, strings and booleans as they are, anything else as text. */
    private static Object positionValue(Object v) {
        return v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer
                || v instanceof Short || v instanceof Byte ? v : v.toString();
    }

    /**
     * An unchanged TOASTed column is not in the WAL of an update: its after value is taken from
     * the before image when that holds it (REPLICA IDENTITY FULL); otherwise the column is left
     * out of the image, so a missing column means "not available", never a wrong value.
     */
    private static void fillUnavailable(Map<String, Object> before, Map<String, Object> after) {
        if (after != null) {
            for (Map.Entry<String, Object> e : after.entrySet()) {
                if (e.getValue() == ConnectValues.UNAVAILABLE && before != null) {
                    Object old = before.get(e.getKey());
                    if (old != ConnectValues.UNAVAILABLE && before.containsKey(e.getKey())) {
                        e.setValue(old);
                    }
                }
            }
            removeUnavailable(after);
        }
        if (before != null) {
            removeUnavailable(before);
        }
    }

    private static void removeUnavailable(Map<String, Object> row) {
        for (Iterator<Object> it = row.values().iterator(); it.hasNext(); ) {
            if (it.next() == ConnectValues.UNAVAILABLE) {
                it.remove();
            }
        }
    }

    private static Op op(String code) {
        if (code == null) {
            return null;
        }
        return switch (code) {
            case "c" -> Op.CREATE;
            case "u" -> Op.UPDATE;
            case "d" -> Op.DELETE;
            case "r" -> Op.READ;
            case "t" -> Op.TRUNCATE;
            default -> null;
        };
    }

    private static String snapshot(Object s) {
        if (s == null) {
            return SourceInfo.SNAPSHOT_FALSE;
        }
        return switch (s.toString()) {
            case "false" -> SourceInfo.SNAPSHOT_FALSE;
            case "last" -> SourceInfo.SNAPSHOT_LAST;
            default -> SourceInfo.SNAPSHOT_TRUE;
        };
    }

    /**
     * Debezium's transaction block, with the id made the PostgreSQL xid: Debezium's own id
     * ({@code xid:lsn}) carries the LSN of each event, so it differs within one transaction.
     */
    private static TransactionInfo transaction(Struct tx, Long txId) {
        if (tx == null) {
            return null;
        }
        String id = txId != null ? txId.toString() : tx.getString("id");
        return new TransactionInfo(id, tx.getInt64("total_order"),
                tx.getInt64("data_collection_order"));
    }

}
