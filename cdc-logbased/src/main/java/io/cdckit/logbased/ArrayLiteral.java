package io.cdckit.logbased;

import io.cdckit.api.jdbc.ColumnDecoder;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * Parses PostgreSQL's array literal ({@code {1,NULL,3}}, {@code {{1,2},{3,4}}},
 * {@code {"a","b,c"}}) into nested lists, each element decoded by the element type into the event
 * model's value.
 */
final class ArrayLiteral {

    private static final DateTimeFormatter LOCAL = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .toFormatter();
    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder()
            .append(LOCAL).appendPattern("[XXXXX][XXX][X]").parseDefaulting(ChronoField.OFFSET_SECONDS, 0)
            .toFormatter();

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
        return switch (elementType) {
            case "int2" -> Short.valueOf(s);
            case "int4" -> Integer.valueOf(s);
            case "int8" -> Long.valueOf(s);
            case "numeric" -> ColumnDecoder.numeric(s);
            case "float4" -> Float.valueOf(s);
            case "float8" -> Double.valueOf(s);
            case "bool" -> s.equals("t") || s.equals("true");
            case "uuid" -> UUID.fromString(s);
            case "bytea" -> HexFormat.of().parseHex(s.substring(2));
            case "date" -> LocalDate.parse(s);
            case "time" -> LocalTime.parse(s);
            case "timestamp" -> LocalDateTime.parse(s, LOCAL);
            case "timestamptz" -> OffsetDateTime.parse(s, OFFSET).toInstant();
            case "json", "jsonb" -> ColumnDecoder.json(s);
            default -> s;
        };
    }

    private static String floatText(String s) {
        return switch (s) {
            case "Infinity" -> "Infinity";
            case "-Infinity" -> "-Infinity";
            default -> s;
        };
    }
}
