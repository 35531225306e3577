package io.cdckit.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link Position} to and from JSON, exactly: strings, integers (as Long), booleans and null
 * survive a round trip; anything else in the JSON is rejected rather than guessed at.
 */
final class PositionJson {

    /** Strict reader: duplicate keys and trailing content are errors. */
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private PositionJson() {
    }

    /** The position as a JSON object, fields in the position's order. */
    static ObjectNode toNode(Position position) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, Object> e : position.fields().entrySet()) {
            Object v = e.getValue();
            if (v == null) {
                node.putNull(e.getKey());
            } else if (v instanceof String s) {
                node.put(e.getKey(), s);
            } else if (v instanceof Long l) {
                node.put(e.getKey(), l.longValue());
            } else if (v instanceof Boolean b) {
                node.put(e.getKey(), b.booleanValue());
            } else {
                // Position's constructor admits nothing else.
                throw new IllegalArgumentException("position field '" + e.getKey() + "' holds a "
                        + v.getClass().getName());
            }
        }
        return node;
    }

    /** The position as compact JSON text. */
    static String toJson(Position position) {
        try {
            return MAPPER.writeValueAsString(toNode(position));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write position " + position.fields() + " as JSON", e);
        }
    }

    /**
     * The position a JSON object describes.
     *
     * @throws IllegalArgumentException saying what is wrong when the node is not an object of
     *                                  strings, integers that fit a long, booleans and nulls
     */
    static Position fromNode(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("a position must be a JSON object, found "
                    + (node == null ? "nothing" : describe(node)));
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            fields.put(e.getKey(), scalar(e.getKey(), e.getValue()));
        }
        return new Position(fields);
    }

    /**
     * The position JSON text describes.
     *
     * @throws IllegalArgumentException saying what is wrong when the text is not such an object
     */
    static Position fromJson(String json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        return fromNode(node);
    }

    private static Object scalar(String name, JsonNode v) {
        if (v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        throw new IllegalArgumentException("field '" + name + "' holds " + describe(v)
                + ": a position holds only strings, integers that fit a long, booleans and null");
    }

    private static String describe(JsonNode node) {
        if (node.isIntegralNumber()) {
            return "the integer " + node.asText() + ", which does not fit a long";
        }
        if (node.isNumber()) {
            return "the non-integer number " + node.asText();
        }
        if (node.isMissingNode()) {
            return "no content";
        }
        return "a JSON " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
