package io.cdckit.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

/**
 * Binds the typed column values of {@link io.cdckit.api.ChangeEvent}s as parameters of statements
 * that cast each parameter to its column's type ({@code ?::<type>}).
 *
 * <p>Every value but {@code byte[]} is sent as text of unspecified type, so PostgreSQL parses it
 * with the input function of the type it is cast to: the text must be what that type reads back.
 */
final class SqlValueBinder {

    private static final HexFormat HEX = HexFormat.of();

    private SqlValueBinder() {
    }

    /**
     * Binds one value.
     *
     * @param arrayDelimiter the element delimiter of the column's array type ({@code ,} for all
     *                       but a few geometric types); used only when the value is a list
     */
    static void bind(PreparedStatement ps, int index, Object value, char arrayDelimiter) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.OTHER);
        } else if (value instanceof byte[] bytes) {
            ps.setBytes(index, bytes);
        } else {
            ps.setObject(index, text(value, arrayDelimiter), Types.OTHER);
        }
    }

    /** The PostgreSQL input text of a non-null value. */
    static String text(Object value, char arrayDelimiter) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof List<?> list) {
            StringBuilder sb = new StringBuilder();
            appendArray(sb, list, arrayDelimiter);
            return sb.toString();
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (value instanceof Double d) {
            return floatText(d);
        }
        if (value instanceof Float f) {
            return f.isNaN() || f.isInfinite() ? floatText(f) : Float.toString(f);
        }
        if (value instanceof byte[] bytes) {
            return "\\x" + HEX.formatHex(bytes);
        }
        if (value instanceof Instant i) {
            return instantText(i);
        }
        if (value instanceof LocalDateTime t) {
            return dateText(t.toLocalDate(), " " + timeText(t.toLocalTime()));
        }
        if (value instanceof LocalDate d) {
            return dateText(d, "");
        }
        if (value instanceof LocalTime t) {
            return timeText(t);
        }
        if (value instanceof JsonNode json) {
            return json.toString();
        }
        // Short, Integer, Long, BigInteger, Boolean, UUID, and anything already in PostgreSQL's text form
        return value.toString();
    }

    private static String floatText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(d);
    }

    private static String instantText(Instant instant) {
        LocalDateTime utc = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC);
        return dateText(utc.toLocalDate(), " " + timeText(utc.toLocalTime()) + "+00");
    }

    /** ISO date, but with PostgreSQL's {@code BC} suffix instead of a year zero or below, then {@code rest}. */
    private static String dateText(LocalDate d, String rest) {
        int year = d.getYear();
        boolean bc = year <= 0;
        int shown = bc ? 1 - year : year;
        String y = shown < 1000 ? String.format("%04d", shown) : Integer.toString(shown);
        return y + String.format("-%02d-%02d", d.getMonthValue(), d.getDayOfMonth()) + rest + (bc ? " BC" : "");
    }

    private static String timeText(LocalTime t) {
        String s = String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
        int nanos = t.getNano();
        if (nanos == 0) {
            return s;
        }
        String fraction = String.format("%09d", nanos);
        int end = fraction.length();
        while (fraction.charAt(end - 1) == '0') {
            end--;
        }
        return s + "." + fraction.substring(0, end);
    }

    /** An array literal: nested lists become nested braces, null elements NULL, all others quoted. */
    private static void appendArray(StringBuilder sb, List<?> list, char delimiter) {
        sb.append('{');
        boolean first = true;
        for (Object element : list) {
            if (!first) {
                sb.append(delimiter);
            }
            first = false;
            if (element == null) {
                sb.append("NULL");
            } else if (element instanceof List<?> inner) {
                appendArray(sb, inner, delimiter);
            } else {
                String text = text(element, delimiter);
                sb.append('"');
                for (int i = 0; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (c == '"' || c == '\\') {
                        sb.append('\\');
                    }
                    sb.append(c);
                }
                sb.append('"');
            }
        }
        sb.append('}');
    }
}
