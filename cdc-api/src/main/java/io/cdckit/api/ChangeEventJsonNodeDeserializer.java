package io.cdckit.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.math.BigDecimal;

/**
 * Reads JSON trees keeping every number exactly as written: integers as int, long or BigInteger
 * nodes, and every other number as a BigDecimal node with its scale ({@code 1.50} stays
 * {@code 1.50}). The one exception is a negative zero such as {@code -0.0}, which BigDecimal
 * cannot hold: it becomes the double {@code -0.0}, so that a float column's sign of zero survives.
 * A number whose plain form would be longer than {@link ChangeEventJson#MAX_NUMBER_LENGTH}
 * characters (such as {@code 1e999999999}) is rejected.
 */
final class ChangeEventJsonNodeDeserializer extends StdDeserializer<JsonNode> {

    private static final long serialVersionUID = 1L;

    ChangeEventJsonNodeDeserializer() {
        super(JsonNode.class);
    }

    @Override
    public JsonNode deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        return read(p, ctxt, ctxt.getNodeFactory());
    }

    @Override
    public JsonNode getNullValue(DeserializationContext ctxt) {
        return NullNode.getInstance();
    }

    @Override
    public boolean isCachable() {
        return true;
    }

    private JsonNode read(JsonParser p, DeserializationContext ctxt, JsonNodeFactory nodes) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            return ctxt.reportInputMismatch(this, "no content to read a JSON tree from");
        }
        switch (t) {
            case START_OBJECT:
                return readObject(p, ctxt, nodes, p.nextFieldName());
            case FIELD_NAME:
                return readObject(p, ctxt, nodes, p.currentName());
            case END_OBJECT:
                return nodes.objectNode();
            case START_ARRAY: {
                ArrayNode array = nodes.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    array.add(read(p, ctxt, nodes));
                }
                return array;
            }
            case VALUE_STRING:
                return nodes.textNode(p.getText());
            case VALUE_NUMBER_INT:
                switch (p.getNumberType()) {
                    case INT:
                        return nodes.numberNode(p.getIntValue());
                    case LONG:
                        return nodes.numberNode(p.getLongValue());
                    default:
                        return nodes.numberNode(p.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT: {
                if (p.isNaN()) {
                    return nodes.numberNode(p.getDoubleValue());
                }
                BigDecimal value = p.getDecimalValue();
                if (!ChangeEventJson.fitsPlain(value)) {
                    return ctxt.reportInputMismatch(this, "a number of %d digits with scale %d is too long to"
                            + " write in plain notation (limit %d characters)", value.precision(), value.scale(),
                            ChangeEventJson.MAX_NUMBER_LENGTH);
                }
                if (value.signum() == 0 && p.getText().startsWith("-")) {
                    return nodes.numberNode(-0.0d);
                }
                return nodes.numberNode(value);
            }
            case VALUE_TRUE:
                return nodes.booleanNode(true);
            case VALUE_FALSE:
                return nodes.booleanNode(false);
            case VALUE_NULL:
                return nodes.nullNode();
            case VALUE_EMBEDDED_OBJECT: {
                Object o = p.getEmbeddedObject();
                if (o == null) {
                    return nodes.nullNode();
                }
                if (o instanceof byte[] bytes) {
                    return nodes.binaryNode(bytes);
                }
                if (o instanceof JsonNode node) {
                    return node;
                }
                return nodes.pojoNode(o);
            }
            default:
                return (JsonNode) ctxt.handleUnexpectedToken(JsonNode.class, p);
        }
    }

    private ObjectNode readObject(JsonParser p, DeserializationContext ctxt, JsonNodeFactory nodes, String first)
            throws IOException {
        ObjectNode object = nodes.objectNode();
        for (String name = first; name != null; name = p.nextFieldName()) {
            p.nextToken();
            JsonNode old = object.replace(name, read(p, ctxt, nodes));
            if (old != null && ctxt.isEnabled(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)) {
                ctxt.reportInputMismatch(this, "duplicate field '%s' in a JSON object", name);
            }
        }
        return object;
    }
}
