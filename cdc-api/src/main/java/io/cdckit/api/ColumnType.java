package io.cdckit.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.function.Function;

/**
 * The scalar type tags of {@link ChangeEventJson}'s {@code types} block, one per supported Java
 * value class, each with its JSON encoding.
 *
 * <p>{@link #decode} throws {@link IllegalArgumentException} with a message that says what was
 * expected and what was found; the caller adds which column it was.
 */
enum ColumnType {

    INT2("int2", Short.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.numberNode((Short) value);
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isIntegralNumber() && node.canConvertToInt()
                    && node.intValue() >= Short.MIN_VALUE && node.intValue() <= Short.MAX_VALUE) {
                return (short) node.intValue();
            }
            throw expected("an integer from " + Short.MIN_VALUE + " to " + Short.MAX_VALUE, node);
        }
    },

    INT4("int4", Integer.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.numberNode((Integer) value);
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isIntegralNumber() && node.canConvertToInt()) {
                return node.intValue();
            }
            throw expected("an integer from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE, node);
        }
    },

    INT8("int8", Long.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.numberNode((Long) value);
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isIntegralNumber() && node.canConvertToLong()) {
                return node.longValue();
            }
            throw expected("an integer from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE, node);
        }
    },

    NUMERIC("numeric", BigDecimal.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.numberNode((BigDecimal) value);
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isNumber() && !((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue()))) {
                return node.decimalValue();
            }
            throw expected("a JSON number", node);
        }
    },

    FLOAT4("float4", Float.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            float f = (Float) value;
            return Float.isFinite(f) ? nodes.numberNode(f) : nodes.textNode(nonFinite(f));
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isTextual()) {
                return (float) parseNonFinite(node);
            }
            if (node.isFloat() || node.isDouble()) {
                // covers -0.0, which has no BigDecimal form and is read as a double
                return node.floatValue();
            }
            if (node.isNumber()) {
                float f = Float.parseFloat(node.decimalValue().toString());
                if (Float.isInfinite(f)) {
                    throw expected("a number within float4 range", node);
                }
                return f;
            }
            throw expected("a JSON number or one of \"NaN\", \"Infinity\", \"-Infinity\"", node);
        }
    },

    FLOAT8("float8", Double.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            double d = (Double) value;
            return Double.isFinite(d) ? nodes.numberNode(d) : nodes.textNode(nonFinite(d));
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isTextual()) {
                return parseNonFinite(node);
            }
            if (node.isFloat() || node.isDouble()) {
                return node.doubleValue();
            }
            if (node.isNumber()) {
                double d = Double.parseDouble(node.decimalValue().toString());
                if (Double.isInfinite(d)) {
                    throw expected("a number within float8 range", node);
                }
                return d;
            }
            throw expected("a JSON number or one of \"NaN\", \"Infinity\", \"-Infinity\"", node);
        }
    },

    BOOL("bool", Boolean.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.booleanNode((Boolean) value);
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isBoolean()) {
                return node.booleanValue();
            }
            throw expected("true or false", node);
        }
    },

    TEXT("text", String.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode((String) value);
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isTextual()) {
                return node.textValue();
            }
            throw expected("a JSON string", node);
        }
    },

    UUID("uuid", java.util.UUID.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode(value.toString());
        }

        @Override
        Object decode(JsonNode node) {
            return parseText(node, "a UUID string", java.util.UUID::fromString);
        }
    },

    BYTEA("bytea", byte[].class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode(Base64.getEncoder().encodeToString((byte[]) value));
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isBinary()) {
                // a tree built in memory rather than parsed from text
                return Base64.getDecoder().decode(node.asText());
            }
            return parseText(node, "a base64 string", Base64.getDecoder()::decode);
        }
    },

    DATE("date", LocalDate.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode(value.toString());
        }

        @Override
        Object decode(JsonNode node) {
            return parseText(node, "an ISO-8601 date such as \"2024-02-29\"", LocalDate::parse);
        }
    },

    TIME("time", LocalTime.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode(value.toString());
        }

        @Override
        Object decode(JsonNode node) {
            return parseText(node, "an ISO-8601 time such as \"13:45:30.123456\"", LocalTime::parse);
        }
    },

    TIMESTAMP("timestamp", LocalDateTime.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode(value.toString());
        }

        @Override
        Object decode(JsonNode node) {
            return parseText(node, "an ISO-8601 date-time such as \"2024-02-29T13:45:30.123456\"",
                    LocalDateTime::parse);
        }
    },

    TIMESTAMPTZ("timestamptz", Instant.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode(value.toString());
        }

        @Override
        Object decode(JsonNode node) {
            return parseText(node, "an ISO-8601 instant such as \"2024-02-29T13:45:30.123456Z\"", Instant::parse);
        }
    },

    JSON("json", JsonNode.class) {
        @Override
        JsonNode encode(Object value, JsonNodeFactory nodes) {
            return nodes.textNode(ChangeEventJson.writeCompact((JsonNode) value));
        }

        @Override
        Object decode(JsonNode node) {
            if (node.isTextual()) {
                return ChangeEventJson.parseJsonText(node.textValue());
            }
            // lenient: a document given inline rather than as its text
            return node.deepCopy();
        }
    };

    private final String tag;
    private final Class<?> javaClass;

    ColumnType(String tag, Class<?> javaClass) {
        this.tag = tag;
        this.javaClass = javaClass;
    }

    /** The tag as written in the {@code types} block, such as {@code "int4"}. */
    String tag() {
        return tag;
    }

    /** The Java class of values of this type. */
    Class<?> javaClass() {
        return javaClass;
    }

    /** The JSON form of a non-null value of this type. */
    abstract JsonNode encode(Object value, JsonNodeFactory nodes);

    /** The Java value of a non-null JSON node that holds a value of this type. */
    abstract Object decode(JsonNode node);

    /** The type of a non-null scalar value, or null if its class is not supported. */
    static ColumnType ofValue(Object value) {
        for (ColumnType t : values()) {
            if (t.javaClass.isInstance(value)) {
                return t;
            }
        }
        return null;
    }

    /** The type with this tag, or null if there is none. */
    static ColumnType ofTag(String tag) {
        for (ColumnType t : values()) {
            if (t.tag.equals(tag)) {
                return t;
            }
        }
        return null;
    }

    /** The names of the supported Java classes, for error messages. */
    static String supportedClasses() {
        StringBuilder sb = new StringBuilder();
        for (ColumnType t : values()) {
            sb.append(t.javaClass.getSimpleName()).append(", ");
        }
        return sb.append("List").toString();
    }

    private static String nonFinite(double d) {
        return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    }

    private static double parseNonFinite(JsonNode node) {
        switch (node.textValue()) {
            case "NaN":
                return Double.NaN;
            case "Infinity":
                return Double.POSITIVE_INFINITY;
            case "-Infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                throw expected("a JSON number or one of \"NaN\", \"Infinity\", \"-Infinity\"", node);
        }
    }

    private static Object parseText(JsonNode node, String what, Function<String, Object> parser) {
        if (node.isTextual()) {
            try {
                return parser.apply(node.textValue());
            } catch (IllegalArgumentException | DateTimeParseException e) {
                throw expected(what, node);
            }
        }
        throw expected(what, node);
    }

    private static IllegalArgumentException expected(String what, JsonNode found) {
        return new IllegalArgumentException("expected " + what + ", got " + describe(found));
    }

    /** A short description of a JSON node for error messages, such as {@code string "abc"}. */
    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        String text = node.asText();
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        if (node.isTextual()) {
            return "string " + TextNode.valueOf(text);
        }
        if (node.isNumber()) {
            return "number " + text;
        }
        if (node.isBoolean()) {
            return text;
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + text;
    }
}
