package io.cdckit.connect;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdckit.api.jdbc.TableSchema;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A column's Connect schema and value, as Debezium's PostgreSQL connector maps them with its
 * defaults ({@code decimal.handling.mode=precise}, {@code time.precision.mode=adaptive},
 * {@code binary.handling.mode=bytes}), so that converters, SMTs and sinks written for Debezium
 * read cdckit's records unchanged:
 *
 * <table>
 *   <caption>PostgreSQL type to Connect schema</caption>
 *   <tr><th>PostgreSQL</th><th>Connect type</th><th>logical name</th></tr>
 *   <tr><td>int2, int4, int8</td><td>INT16, INT32, INT64</td><td></td></tr>
 *   <tr><td>float4, float8, bool</td><td>FLOAT32, FLOAT64, BOOLEAN</td><td></td></tr>
 *   <tr><td>numeric(p,s)</td><td>BYTES</td><td>{@code org.apache.kafka.connect.data.Decimal}</td></tr>
 *   <tr><td>numeric</td><td>STRUCT</td><td>{@code io.debezium.data.VariableScaleDecimal}</td></tr>
 *   <tr><td>text, varchar, char, name</td><td>STRING</td><td></td></tr>
 *   <tr><td>uuid, json, jsonb</td><td>STRING</td><td>{@code io.debezium.data.Uuid}, {@code io.debezium.data.Json}</td></tr>
 *   <tr><td>bytea</td><td>BYTES</td><td></td></tr>
 *   <tr><td>date</td><td>INT32</td><td>{@code io.debezium.time.Date} (days)</td></tr>
 *   <tr><td>time(0-3), time(4-6)</td><td>INT32, INT64</td><td>{@code io.debezium.time.Time}, {@code MicroTime}</td></tr>
 *   <tr><td>timestamp(0-3), timestamp(4-6)</td><td>INT64</td><td>{@code io.debezium.time.Timestamp}, {@code MicroTimestamp}</td></tr>
 *   <tr><td>timestamptz</td><td>STRING</td><td>{@code io.debezium.time.ZonedTimestamp} (ISO-8601, UTC, the column's fractional digits)</td></tr>
 *   <tr><td>arrays</td><td>ARRAY of the element's schema</td><td></td></tr>
 *   <tr><td>anything else (enum, interval, money, ...)</td><td>STRING</td><td>PostgreSQL's text output</td></tr>
 * </table>
 *
 * <p>Variable-scale decimals lose their trailing zeros and {@code jsonb} prints as PostgreSQL
 * prints it ({@link JsonbText}), as in Debezium. A value PostgreSQL has and Debezium's type cannot hold ({@code NaN} in a decimal,
 * {@code infinity} in a timestamp) becomes null, as in Debezium's precise mode.
 */
final class ColumnSchemas {

    static final String VARIABLE_SCALE_DECIMAL = "io.debezium.data.VariableScaleDecimal";
    static final String UUID_NAME = "io.debezium.data.Uuid";
    static final String JSON_NAME = "io.debezium.data.Json";
    static final String DATE = "io.debezium.time.Date";
    static final String TIME = "io.debezium.time.Time";
    static final String MICRO_TIME = "io.debezium.time.MicroTime";
    static final String TIMESTAMP = "io.debezium.time.Timestamp";
    static final String MICRO_TIMESTAMP = "io.debezium.time.MicroTimestamp";
    static final String ZONED_TIMESTAMP = "io.debezium.time.ZonedTimestamp";

    private static final DateTimeFormatter[] ZONED = zonedFormatters();

    private static final Pattern MODIFIERS = Pattern.compile("\\((\\d+)(?:\\s*,\\s*(\\d+))?\\)");

    private ColumnSchemas() {
    }

    /** The schema of a catalog column; optional unless the column is NOT NULL and {@code required} allows it. */
    static Schema of(TableSchema.Column column, boolean optional) {
        String typeName = column.typeName().toLowerCase(Locale.ROOT);
        if (typeName.startsWith("_")) {
            Schema element = scalar(typeName.substring(1), column.type(), true);
            return finish(SchemaBuilder.array(element), optional);
        }
        return scalar(typeName, column.type(), optional);
    }

    /** The schema of a column the catalog does not know (any more), from the Java class of its value. */
    static Schema inferred(Object value) {
        String typeName;
        if (value instanceof Short) {
            typeName = "int2";
        } else if (value instanceof Integer) {
            typeName = "int4";
        } else if (value instanceof Long) {
            typeName = "int8";
        } else if (value instanceof BigDecimal) {
            typeName = "numeric";
        } else if (value instanceof Float) {
            typeName = "float4";
        } else if (value instanceof Double) {
            typeName = "float8";
        } else if (value instanceof Boolean) {
            typeName = "bool";
        } else if (value instanceof UUID) {
            typeName = "uuid";
        } else if (value instanceof byte[]) {
            typeName = "bytea";
        } else if (value instanceof LocalDate) {
            typeName = "date";
        } else if (value instanceof LocalTime) {
            typeName = "time";
        } else if (value instanceof LocalDateTime) {
            typeName = "timestamp";
        } else if (value instanceof Instant) {
            typeName = "timestamptz";
        } else if (value instanceof JsonNode) {
            typeName = "jsonb";
        } else if (value instanceof List<?> list) {
            Object first = list.stream().filter(java.util.Objects::nonNull).findFirst().orElse(null);
            return SchemaBuilder.array(first == null ? Schema.OPTIONAL_STRING_SCHEMA : inferred(first)).optional()
                    .build();
        } else {
            typeName = "text";
        }
        return scalar(typeName, typeName, true);
    }

    private static Schema scalar(String typeName, String formatted, boolean optional) {
        SchemaBuilder b = switch (typeName) {
            case "int2" -> SchemaBuilder.int16();
            case "int4" -> SchemaBuilder.int32();
            case "int8" -> SchemaBuilder.int64();
            case "float4" -> SchemaBuilder.float32();
            case "float8" -> SchemaBuilder.float64();
            case "bool" -> SchemaBuilder.bool();
            case "bytea" -> SchemaBuilder.bytes();
            case "numeric" -> numeric(formatted);
            case "uuid" -> named(SchemaBuilder.string(), UUID_NAME);
            case "json", "jsonb" -> named(SchemaBuilder.string(), JSON_NAME);
            case "date" -> named(SchemaBuilder.int32(), DATE);
            case "time" -> precision(formatted) <= 3 ? named(SchemaBuilder.int32(), TIME)
                    : named(SchemaBuilder.int64(), MICRO_TIME);
            case "timestamp" -> precision(formatted) <= 3 ? named(SchemaBuilder.int64(), TIMESTAMP)
                    : named(SchemaBuilder.int64(), MICRO_TIMESTAMP);
            case "timestamptz" -> named(SchemaBuilder.string(), ZONED_TIMESTAMP);
            default -> SchemaBuilder.string();
        };
        return finish(b, optional);
    }

    private static SchemaBuilder numeric(String formatted) {
        Matcher m = MODIFIERS.matcher(formatted);
        if (!m.find()) {
            return SchemaBuilder.struct().name(VARIABLE_SCALE_DECIMAL).version(1).doc("Variable scaled decimal")
                    .field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA);
        }
        int precision = Integer.parseInt(m.group(1));
        int scale = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        return Decimal.builder(scale).parameter("connect.decimal.precision", String.valueOf(precision));
    }

    /**
     * The fractional digits Debezium prints for a {@code timestamptz} column ({@code timestamptz(p)}: p;
     * unspecified: 6); 0 for other types.
     */
    static int zonedDigits(TableSchema.Column column) {
        return column.typeName().equalsIgnoreCase("timestamptz") ? precision(column.type()) : 0;
    }

    /**
     * A {@code timestamptz} value as Debezium's {@code ZonedTimestamp} prints it: in UTC, with exactly
     * {@code digits} fractional digits when {@code digits} is 1 to 9 (the column's precision), ISO-8601's
     * shortest form (seconds always, fraction only when not zero) otherwise.
     */
    static String zonedTimestamp(Instant instant, int digits) {
        DateTimeFormatter f = digits >= 1 && digits < ZONED.length ? ZONED[digits] : ZONED[0];
        return f.format(instant.atOffset(ZoneOffset.UTC));
    }

    private static DateTimeFormatter[] zonedFormatters() {
        DateTimeFormatter[] out = new DateTimeFormatter[10];
        out[0] = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
        for (int digits = 1; digits < out.length; digits++) {
            out[digits] = new DateTimeFormatterBuilder()
                    .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral('T')
                    .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':')
                    .appendValue(ChronoField.MINUTE_OF_HOUR, 2).appendLiteral(':')
                    .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
                    .appendFraction(ChronoField.NANO_OF_SECOND, digits, digits, true)
                    .appendOffsetId()
                    .toFormatter(Locale.ROOT);
        }
        return out;
    }

    /** The fractional digits of a time or timestamp type as {@code format_type} prints it; 6 when unspecified. */
    private static int precision(String formatted) {
        Matcher m = MODIFIERS.matcher(formatted);
        return m.find() ? Integer.parseInt(m.group(1)) : 6;
    }

    private static SchemaBuilder named(SchemaBuilder b, String name) {
        return b.name(name).version(1);
    }

    private static Schema finish(SchemaBuilder b, boolean optional) {
        return optional ? b.optional().build() : b.build();
    }

    /**
     * {@code value} (a cdckit column value, see {@link io.cdckit.api.ChangeEvent}) as {@code schema}
     * holds it; null when the schema's type cannot hold it.
     */
    static Object value(Schema schema, Object value) {
        if (value == null) {
            return null;
        }
        String name = schema.name();
        if (name != null) {
            switch (name) {
                case Decimal.LOGICAL_NAME -> {
                    int scale = Integer.parseInt(schema.parameters().get(Decimal.SCALE_FIELD));
                    return value instanceof BigDecimal d ? d.setScale(scale, RoundingMode.HALF_EVEN) : null;
                }
                case VARIABLE_SCALE_DECIMAL -> {
                    if (!(value instanceof BigDecimal d)) {
                        return null;
                    }
                    // as Debezium: trailing zeros dropped, never a negative scale
                    BigDecimal v = d.stripTrailingZeros();
                    if (v.scale() < 0) {
                        v = v.setScale(0);
                    }
                    return new Struct(schema).put("scale", v.scale()).put("value", v.unscaledValue().toByteArray());
                }
                case ZONED_TIMESTAMP -> {
                    return value instanceof Instant i ? zonedTimestamp(i, 0) : value.toString();
                }
                case UUID_NAME, JSON_NAME -> {
                    return value.toString();
                }
                case DATE -> {
                    return value instanceof LocalDate d ? (int) d.toEpochDay() : null;
                }
                case TIME -> {
                    return value instanceof LocalTime t ? (int) (t.toNanoOfDay() / 1_000_000) : null;
                }
                case MICRO_TIME -> {
                    return value instanceof LocalTime t ? t.toNanoOfDay() / 1_000 : null;
                }
                case TIMESTAMP -> {
                    return value instanceof LocalDateTime t ? t.toInstant(ZoneOffset.UTC).toEpochMilli() : null;
                }
                case MICRO_TIMESTAMP -> {
                    if (!(value instanceof LocalDateTime t)) {
                        return null;
                    }
                    Instant i = t.toInstant(ZoneOffset.UTC);
                    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000);
                }
                default -> {
                    // a schema named by someone else: fall through to the plain types
                }
            }
        }
        return switch (schema.type()) {
            case ARRAY -> {
                if (!(value instanceof List<?> list)) {
                    yield null;
                }
                List<Object> out = new ArrayList<>(list.size());
                for (Object element : list) {
                    out.add(value(schema.valueSchema(), element));
                }
                yield out;
            }
            case STRING -> value instanceof Instant i ? zonedTimestamp(i, 0) : value.toString();
            case INT16 -> value instanceof Short ? value : null;
            case INT32 -> value instanceof Integer ? value : null;
            case INT64 -> value instanceof Long ? value : null;
            case FLOAT32 -> value instanceof Float ? value : null;
            case FLOAT64 -> value instanceof Double ? value : null;
            case BOOLEAN -> value instanceof Boolean ? value : null;
            case BYTES -> value instanceof byte[] ? value : null;
            default -> null;
        };
    }
}
