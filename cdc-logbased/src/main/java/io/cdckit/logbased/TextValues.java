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
        IsoText t = IsoText.parse(s, false);
        if (t != null) {
            return LocalDateTime.of(t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos);
        }
        return switch (s) {
            case "infinity" -> LocalDateTime.MAX;
            case "-infinity" -> LocalDateTime.MIN;
            default -> s.endsWith(BC) ? bc(LocalDateTime.parse(s.substring(0, s.length() - BC.length()), LOCAL))
                    : LocalDateTime.parse(s, LOCAL);
        };
    }

    private static Instant timestamptz(String s) {
        IsoText iso = IsoText.parse(s, true);
        if (iso != null) {
            long day = LocalDate.of(iso.year, iso.month, iso.day).toEpochDay();
            long seconds = day * 86_400 + iso.hour * 3600L + iso.minute * 60L + iso.second - iso.offsetSeconds;
            return Instant.ofEpochSecond(seconds, iso.nanos);
        }
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

    /**
     * The common form of PostgreSQL's ISO output, {@code YYYY-MM-DD HH:MM:SS[.f]} and, with an
     * offset, {@code ±HH[:MM[:SS]]}, read without a formatter (a formatter costs several times
     * more, and every change of a table with timestamps has some). Anything else (a year past
     * 9999, BC, infinity) is left to the formatter: {@link #parse} returns null.
     */
    private static final class IsoText {
        int year;
        int month;
        int day;
        int hour;
        int minute;
        int second;
        int nanos;
        int offsetSeconds;

        static IsoText parse(String s, boolean withOffset) {
            int n = s.length();
            if (n < 19 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != ' ' || s.charAt(13) != ':'
                    || s.charAt(16) != ':') {
                return null;
            }
            IsoText t = new IsoText();
            t.year = UtcTimestampText.digits(s, 0, 4);
            t.month = UtcTimestampText.digits(s, 5, 2);
            t.day = UtcTimestampText.digits(s, 8, 2);
            t.hour = UtcTimestampText.digits(s, 11, 2);
            t.minute = UtcTimestampText.digits(s, 14, 2);
            t.second = UtcTimestampText.digits(s, 17, 2);
            if ((t.year | t.month | t.day | t.hour | t.minute | t.second) < 0) {
                return null;
            }
            int i = 19;
            if (i < n && s.charAt(i) == '.') {
                int start = ++i;
                int nanos = 0;
                while (i < n && i - start < 9 && Character.isDigit(s.charAt(i))) {
                    nanos = nanos * 10 + (s.charAt(i) - '0');
                    i++;
                }
                if (i == start) {
                    return null;
                }
                for (int k = i - start; k < 9; k++) {
                    nanos *= 10;
                }
                t.nanos = nanos;
            }
            if (!withOffset) {
                return i == n ? t : null;
            }
            if (i >= n || (s.charAt(i) != '+' && s.charAt(i) != '-')) {
                return null;
            }
            int sign = s.charAt(i) == '-' ? -1 : 1;
            int[] parts = new int[3];
            int part = 0;
            i++;
            while (true) {
                int v = UtcTimestampText.digits(s, i, 2);
                if (v < 0 || part == 3) {
                    return null;
                }
                parts[part++] = v;
                i += 2;
                if (i == n) {
                    break;
                }
                if (s.charAt(i) != ':') {
                    return null;
                }
                i++;
            }
            t.offsetSeconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
            return t;
        }
    }

    /** Year n BC is year 1 - n in the proleptic calendar java.time uses. */
    private static LocalDate bc(LocalDate d) {
        return d.withYear(1 - d.getYear());
    }

    private static LocalDateTime bc(LocalDateTime t) {
        return t.withYear(1 - t.getYear());
    }
}
