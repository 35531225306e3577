package io.cdckit.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a JSON tree in {@link ChangeEventJson}'s format (or Debezium's) into a {@link ChangeEvent}. */
final class ChangeEventJsonReader {

    private ChangeEventJsonReader() {
    }

    static ChangeEvent read(JsonNode root) {
        if (!root.isObject()) {
            throw new IllegalArgumentException("not a change event: expected a JSON object, got "
                    + ColumnType.describe(root));
        }
        Op op = readOp(root);
        long tsMs = requiredLong(root, "ts_ms", "ts_ms");
        JsonNode sourceNode = root.get("source");
        if (sourceNode == null || sourceNode.isNull()) {
            throw new IllegalArgumentException("not a change event: missing 'source'");
        }
        SourceInfo source = readSource(object(sourceNode, "source"));
        Map<String, ChangeEventJsonTypes.Tag> types = readTypes(root.get("types"));
        Map<String, Object> before = readRow(root.get("before"), "before", types);
        Map<String, Object> after = readRow(root.get("after"), "after", types);
        Map<String, Object> key = readRow(root.get("key"), "key", types);
        TransactionInfo transaction = readTransaction(root.get("transaction"));
        Position position = readPosition(root.get("position"));
        return new ChangeEvent(op, before, after, key == null ? Map.of() : key, source, tsMs, transaction, position);
    }

    private static Op readOp(JsonNode root) {
        JsonNode op = root.get("op");
        if (op == null || op.isNull()) {
            String hint = root.has("payload") && root.has("schema")
                    ? " (this looks like an envelope with schemas enabled: read its 'payload')" : "";
            throw new IllegalArgumentException("not a change event: missing 'op'" + hint);
        }
        if (op.isTextual()) {
            for (Op o : Op.values()) {
                if (o.code().equals(op.textValue())) {
                    return o;
                }
            }
        }
        throw new IllegalArgumentException("not a change event: 'op' must be one of \"c\", \"u\", \"d\", \"r\", \"t\", got "
                + ColumnType.describe(op));
    }

    private static JsonNode object(JsonNode node, String path) {
        if (!node.isObject()) {
            throw invalid("'" + path + "' must be an object, got " + ColumnType.describe(node));
        }
        return node;
    }

    private static SourceInfo readSource(JsonNode s) {
        return new SourceInfo(
                optionalText(s, "version", "source"),
                optionalText(s, "connector", "source"),
                optionalText(s, "name", "source"),
                optionalLong(s, "ts_ms", "source"),
                readSnapshot(s.get("snapshot")),
                optionalText(s, "db", "source"),
                optionalText(s, "schema", "source"),
                optionalText(s, "table", "source"),
                optionalLong(s, "txId", "source"),
                optionalLong(s, "lsn", "source"),
                optionalLong(s, "xmin", "source"),
                optionalText(s, "sequence", "source"));
    }

    private static String readSnapshot(JsonNode node) {
        if (node != null && node.isBoolean()) {
            // early Debezium versions wrote a boolean
            return String.valueOf(node.booleanValue());
        }
        return text(node, "source.snapshot");
    }

    private static TransactionInfo readTransaction(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        object(node, "transaction");
        JsonNode id = node.get("id");
        if (id == null || id.isNull()) {
            throw invalid("'transaction.id' is missing");
        }
        return new TransactionInfo(text(id, "transaction.id"),
                requiredLong(node, "total_order", "transaction.total_order"),
                requiredLong(node, "data_collection_order", "transaction.data_collection_order"),
                optionalLong(node, "event_count", "transaction"));
    }

    private static Position readPosition(JsonNode node) {
        if (node == null || node.isNull()) {
            return new Position(Map.of());
        }
        object(node, "position");
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            Object value;
            if (v.isNull()) {
                value = null;
            } else if (v.isTextual()) {
                value = v.textValue();
            } else if (v.isBoolean()) {
                value = v.booleanValue();
            } else if (v.isIntegralNumber() && v.canConvertToLong()) {
                value = v.longValue();
            } else {
                throw invalid("'position." + e.getKey() + "' must be a string, an integer, a boolean or null, got "
                        + ColumnType.describe(v));
            }
            fields.put(e.getKey(), value);
        }
        return new Position(fields);
    }

    private static Map<String, ChangeEventJsonTypes.Tag> readTypes(JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        object(node, "types");
        Map<String, ChangeEventJsonTypes.Tag> types = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual()) {
                throw invalid("'types." + e.getKey() + "' must be a type name such as \"int4\", got "
                        + ColumnType.describe(v));
            }
            ChangeEventJsonTypes.Tag tag = ChangeEventJsonTypes.Tag.parse(v.textValue());
            if (tag == null) {
                throw invalid("'types." + e.getKey() + "' is \"" + v.textValue() + "\", which is not a known type;"
                        + " expected one of " + knownTags() + ", optionally followed by [] per array dimension");
            }
            types.put(e.getKey(), tag);
        }
        return types;
    }

    private static String knownTags() {
        StringBuilder sb = new StringBuilder();
        for (ColumnType t : ColumnType.values()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(t.tag());
        }
        return sb.toString();
    }

    private static Map<String, Object> readRow(JsonNode node, String image,
                                               Map<String, ChangeEventJsonTypes.Tag> types) {
        if (node == null || node.isNull()) {
            return null;
        }
        object(node, image);
        Map<String, Object> row = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String column = e.getKey();
            ChangeEventJsonTypes.Tag tag = types.get(column);
            try {
                row.put(column, tag == null ? natural(e.getValue()) : typed(e.getValue(), tag.element(), tag.dimensions()));
            } catch (IllegalArgumentException ex) {
                throw invalid("column '" + column + "' in '" + image + "'"
                        + (tag == null ? "" : " (" + tag.text() + ")") + ": " + ex.getMessage());
            }
        }
        return row;
    }

    private static Object typed(JsonNode node, ColumnType element, int dimensions) {
        if (node.isNull()) {
            return null;
        }
        if (dimensions == 0) {
            return element.decode(node);
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("expected an array, got " + ColumnType.describe(node));
        }
        List<Object> list = new ArrayList<>(node.size());
        for (JsonNode child : node) {
            list.add(typed(child, element, dimensions - 1));
        }
        return Collections.unmodifiableList(list);
    }

    /** The natural Java value of a JSON value without a type tag. */
    private static Object natural(JsonNode node) {
        if (node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            if (node.canConvertToInt()) {
                return node.intValue();
            }
            if (node.canConvertToLong()) {
                return node.longValue();
            }
            return new BigDecimal(node.bigIntegerValue());
        }
        if (node.isNumber()) {
            if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
                return node.doubleValue();
            }
            return node.decimalValue();
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            for (JsonNode child : node) {
                list.add(natural(child));
            }
            return Collections.unmodifiableList(list);
        }
        if (node.isBinary()) {
            return ColumnType.BYTEA.decode(node);
        }
        return node.deepCopy();
    }

    private static String optionalText(JsonNode parent, String field, String path) {
        return text(parent.get(field), path + "." + field);
    }

    private static String text(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw invalid("'" + path + "' must be a string, got " + ColumnType.describe(node));
        }
        return node.textValue();
    }

    private static Long optionalLong(JsonNode parent, String field, String path) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        return longValue(node, path + "." + field);
    }

    private static long requiredLong(JsonNode parent, String field, String path) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw path.indexOf('.') < 0
                    ? new IllegalArgumentException("not a change event: missing '" + path + "'")
                    : invalid("'" + path + "' is missing");
        }
        return longValue(node, path);
    }

    private static long longValue(JsonNode node, String path) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        throw invalid("'" + path + "' must be an integer, got " + ColumnType.describe(node));
    }

    private static IllegalArgumentException invalid(String what) {
        return new IllegalArgumentException("invalid change event: " + what);
    }
}
