package io.cdckit.logbased;

import io.cdckit.api.jdbc.ColumnDecoder;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.HexFormat;
import java.util.UUID;

/**
 * PostgreSQL's text output of a value as the event model's value, the same one
 * {@link ColumnDecoder} reads from a result set: used for the elements of array literals and for
 * the values the native {@code pgoutput} engine receives. The text is in the forms a pgjdbc
 * session asks the server for ({@code DateStyle=ISO}, hex {@code bytea}, exact floats); any type
 * not named here stays text.
 */
final class TextValues {

    private static final DateTimeFormatter LOCAL = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .toFormatter();
    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder()
            .append(LOCAL).appendPattern("[XXXXX][XXX][X]").parseDefaulting(ChronoField.OFFSET_SECONDS, 0)
            .toFormatter();
    private static final String BC = " BC";

    private TextValues() {
    }

    /**
     * The value of {@code text} of the type {@code typeName} ({@code pg_type.typname}); for an
     * array type ({@code _int4}, ...) its literal parsed by element type.
     */
    static Object decode(String typeName, String text) {
        if (text == null) {
            return null;
        }
        if (typeName.startsWith("_")) {
            return ArrayLiteral.parse(text, typeName.substring(1));
        }
        return scalar(typeName, text);
    }

    /** The value of a scalar's text. */
    static Object scalar(String type, String s) {
        return switch (type) {
            case "int2" -> Short.valueOf(s);
            case "int4" -> Integer.valueOf(s);
            case "int8" -> Long.valueOf(s);
            case "numeric" -> ColumnDecoder.numeric(s);
            case "float4" -> Float.valueOf(s);
            case "float8" -> Double.valueOf(s);
            case "bool" -> s.equals("t") || s.equals("true");
            case "uuid" -> UUID.fromString(s);
            case "bytea" -> HexFormat.of().parseHex(s, 2, s.length());
            case "date" -> date(s);
            case "time" -> LocalTime.parse(s);
            case "timestamp" -> timestamp(s);
            case "timestamptz" -> timestamptz(s);
            case "json", "jsonb" -> ColumnDecoder.json(s);
            default -> s;
        };
    }

    private static LocalDate date(String s) {
        return switch (s) {
            case "infinity" -> LocalDate.MAX;
            case "-infinity" -> LocalDate.MIN;
            default -> s.endsWith(BC) ? bc(LocalDate.parse(s.substring(0, s.length() - BC.length())))
                    : LocalDate.parse(s);
        };
    }

    private static LocalDateTime timestamp(String s) {
        return switch (s) {
            case "infinity" -> LocalDateTime.MAX;
            case "-infinity" -> LocalDateTime.MIN;
            default -> s.endsWith(BC) ? bc(LocalDateTime.parse(s.substring(0, s.length() - BC.length()), LOCAL))
                    : LocalDateTime.parse(s, LOCAL);
        };
    }

    private static Instant timestamptz(String s) {
        return switch (s) {
            case "infinity" -> OffsetDateTime.MAX.toInstant();
            case "-infinity" -> OffsetDateTime.MIN.toInstant();
            default -> {
                if (s.endsWith(BC)) {
                    OffsetDateTime t = OffsetDateTime.parse(s.substring(0, s.length() - BC.length()), OFFSET);
                    yield t.withYear(1 - t.getYear()).toInstant();
                }
                yield OffsetDateTime.parse(s, OFFSET).toInstant();
            }
        };
    }

    /** Year n BC is year 1 - n in the proleptic calendar java.time uses. */
    private static LocalDate bc(LocalDate d) {
        return d.withYear(1 - d.getYear());
    }

    private static LocalDateTime bc(LocalDateTime t) {
        return t.withYear(1 - t.getYear());
    }
}
