package io.cdckit.logbased;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Parses PostgreSQL's array literal ({@code {1,NULL,3}}, {@code {{1,2},{3,4}}},
 * {@code {"a","b,c"}}) into nested lists, each element decoded by the element type into the event
 * model's value.
 */
final class ArrayLiteral {

    private final String text;
    private final String elementType;
    private int pos;

    private ArrayLiteral(String text, String elementType) {
        this.text = text;
        this.elementType = elementType;
    }

    /** The literal's elements as (nested) lists of typed values. */
    static List<Object> parse(String literal, String elementType) {
        String s = literal;
        if (s.startsWith("[")) {
            // explicit bounds, e.g. [0:1]={1,2}
            s = s.substring(s.indexOf('=') + 1);
        }
        ArrayLiteral p = new ArrayLiteral(s, elementType);
        return p.array();
    }

    private List<Object> array() {
        expect('{');
        List<Object> out = new ArrayList<>();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableList(out);
        }
        while (true) {
            char c = peek();
            if (c == '{') {
                out.add(array());
            } else if (c == '"') {
                out.add(element(quoted()));
            } else {
                String raw = unquoted();
                out.add(raw.equals("NULL") ? null : element(raw));
            }
            char next = text.charAt(pos++);
            if (next == '}') {
                return Collections.unmodifiableList(out);
            }
            if (next != ',' && next != ';') {
                throw new IllegalArgumentException("unexpected '" + next + "' in array literal " + text);
            }
        }
    }

    private String quoted() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = text.charAt(pos++);
            if (c == '\\') {
                sb.append(text.charAt(pos++));
            } else if (c == '"') {
                return sb.toString();
            } else {
                sb.append(c);
            }
        }
    }

    private String unquoted() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) != ',' && text.charAt(pos) != '}'
                && text.charAt(pos) != ';') {
            pos++;
        }
        return text.substring(start, pos).strip();
    }

    private char peek() {
        return text.charAt(pos);
    }

    private void expect(char c) {
        if (text.charAt(pos) != c) {
            throw new IllegalArgumentException("expected '" + c + "' at " + pos + " in array literal " + text);
        }
        pos++;
    }

    private Object element(String s) {
        return TextValues.scalar(elementType, s);
    }
}
