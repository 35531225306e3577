package io.cdckit.connect;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * A JSON value in the text PostgreSQL prints for {@code jsonb} ({@code jsonb_out}): a space
 * after each {@code ,} and {@code :}, numbers in plain notation, strings escaped as PostgreSQL
 * escapes them. Debezium passes that text on unchanged, so cdckit's {@code jsonb} values print
 * it too; keys stay in the order PostgreSQL gave them.
 */
final class JsonbText {

    private JsonbText() {
    }

    static String print(JsonNode node) {
        StringBuilder b = new StringBuilder();
        append(b, node);
        return b.toString();
    }

    private static void append(StringBuilder b, JsonNode node) {
        if (node.isObject()) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, JsonNode> f : node.properties()) {
                if (!first) {
                    b.append(", ");
                }
                first = false;
                string(b, f.getKey());
                b.append(": ");
                append(b, f.getValue());
            }
            b.append('}');
        } else if (node.isArray()) {
            b.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                append(b, node.get(i));
            }
            b.append(']');
        } else if (node.isTextual()) {
            string(b, node.textValue());
        } else if (node.isNumber()) {
            b.append(node.isIntegralNumber() ? node.bigIntegerValue().toString() : node.decimalValue().toPlainString());
        } else {
            b.append(node.asText());
        }
    }

    /** PostgreSQL's {@code escape_json}. */
    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < ' ') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
