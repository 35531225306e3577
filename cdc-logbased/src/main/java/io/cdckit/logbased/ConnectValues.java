package io.cdckit.logbased;

import io.cdckit.api.jdbc.ColumnDecoder;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns Kafka Connect values, as Debezium's PostgreSQL connector emits them with cdckit's settings
 * ({@code decimal.handling.mode=precise}, {@code binary.handling.mode=bytes},
 * {@code time.precision.mode=adaptive_time_microseconds}, {@code interval.handling.mode=string}),
 * into the typed values of the event model. Works on the Connect objects directly, with no JSON
 * round trip.
 */
final class ConnectValues {

    /** What a row map holds for a column whose value Debezium could not see (unchanged TOAST). */
    static final Object UNAVAILABLE = new Object() {
        @Override
        public String toString() {
            return "<unavailable>";
        }
    };

    private final String placeholder;
    private final byte[] placeholderBytes;

    ConnectValues(String placeholder) {
        this.placeholder = placeholder;
        this.placeholderBytes = placeholder.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A row struct as a column → value map in column order; unavailable columns hold {@link #UNAVAILABLE}. */
    Map<String, Object> row(Struct struct) {
        if (struct == null) {
            return null;
        }
        List<Field> fields = struct.schema().fields();
        Map<String, Object> out = new LinkedHashMap<>(fields.size() + fields.size() / 3 + 1);
        for (Field f : fields) {
            Object raw = struct.get(f);
            out.put(f.name(), isPlaceholder(raw) ? UNAVAILABLE : value(f.schema(), raw));
        }
        return out;
    }

    private boolean isPlaceholder(Object raw) {
        if (raw instanceof String s) {
            return s.equals(placeholder);
        }
        if (raw instanceof byte[] b) {
            return Arrays.equals(b, placeholderBytes);
        }
        if (raw instanceof ByteBuffer bb) {
            return bb.remaining() == placeholderBytes.length && ByteBuffer.wrap(placeholderBytes).equals(bb);
        }
        if (raw instanceof List<?> l) {
            return l.size() == 1 && isPlaceholder(l.get(0));
        }
        return false;
    }

    /** One value. */
    static Object value(Schema schema, Object v) {
        if (v == null) {
            return null;
        }
        String name = schema.name();
        if (name != null) {
            switch (name) {
                case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date" -> {
                    return v instanceof java.util.Date d ? LocalDate.ofEpochDay(Math.floorDiv(d.getTime(), 86_400_000L))
                            : LocalDate.ofEpochDay(((Number) v).longValue());
                }
                case "io.debezium.time.Time" -> {
                    return LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000_000L);
                }
                case "io.debezium.time.MicroTime" -> {
                    return LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000L);
                }
                case "io.debezium.time.NanoTime" -> {
                    return LocalTime.ofNanoOfDay(((Number) v).longValue());
                }
                case "io.debezium.time.Timestamp" -> {
                    return epochNanos(((Number) v).longValue(), 1_000_000L);
                }
                case "io.debezium.time.MicroTimestamp" -> {
                    return epochNanos(((Number) v).longValue(), 1_000L);
                }
                case "io.debezium.time.NanoTimestamp" -> {
                    return epochNanos(((Number) v).longValue(), 1L);
                }
                case "io.debezium.time.ZonedTimestamp" -> {
                    return UtcTimestampText.parse((String) v);
                }
                case "io.debezium.data.VariableScaleDecimal" -> {
                    Struct s = (Struct) v;
                    return new BigDecimal(new BigInteger(bytes(s.get("value"))), s.getInt32("scale"));
                }
                case "org.apache.kafka.connect.data.Decimal" -> {
                    return v;
                }
                case "io.debezium.data.Uuid" -> {
                    return UUID.fromString((String) v);
                }
                case "io.debezium.data.Json" -> {
                    return ColumnDecoder.json((String) v);
                }
                case PostgresTextConverter.NUMERIC -> {
                    return ColumnDecoder.numeric((String) v);
                }
                case PostgresTextConverter.ARRAY -> {
                    return ArrayLiteral.parse((String) v, schema.parameters().get(PostgresTextConverter.ELEMENT_TYPE));
                }
                case "io.debezium.time.Interval" -> {
                    return IntervalText.fromIso((String) v);
                }
                default -> {
                    // fall through to the physical type
                }
            }
        }
        return switch (schema.type()) {
            case INT8 -> ((Number) v).shortValue();
            case INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING -> v;
            case BYTES -> bytes(v);
            case ARRAY -> list(schema.valueSchema(), (List<?>) v);
            case STRUCT -> struct((Struct) v);
            case MAP -> v.toString();
        };
    }

    private static List<Object> list(Schema element, List<?> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object e : values) {
            out.add(e instanceof List<?> nested ? list(element, nested) : value(element, e));
        }
        return Collections.unmodifiableList(out);
    }

    private static Map<String, Object> struct(Struct s) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field f : s.schema().fields()) {
            out.put(f.name(), value(f.schema(), s.get(f)));
        }
        return out;
    }

    private static LocalDateTime epochNanos(long value, long nanosPerUnit) {
        long unitsPerSecond = 1_000_000_000L / nanosPerUnit;
        long seconds = Math.floorDiv(value, unitsPerSecond);
        long nanos = Math.floorMod(value, unitsPerSecond) * nanosPerUnit;
        return LocalDateTime.ofEpochSecond(seconds, (int) nanos, ZoneOffset.UTC);
    }

    private static byte[] bytes(Object v) {
        if (v instanceof byte[] b) {
            return b;
        }
        ByteBuffer bb = ((ByteBuffer) v).duplicate();
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        return out;
    }
}
