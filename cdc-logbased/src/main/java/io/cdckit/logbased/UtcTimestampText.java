package io.cdckit.logbased;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Reads Debezium's {@code io.debezium.time.ZonedTimestamp} text, which the PostgreSQL connector
 * writes in UTC as {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z}. That shape is read directly, digit by
 * digit: {@link DateTimeFormatter#parse} costs about as much as the rest of an event's conversion
 * for a table with two {@code timestamptz} columns. Any other shape (an offset other than Z, a
 * year beyond four digits) goes through {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME}.
 */
final class UtcTimestampText {

    private UtcTimestampText() {
    }

    static Instant parse(String s) {
        Instant fast = parseUtc(s);
        return fast != null ? fast : Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(s));
    }

    /** The instant of {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, or null for any other text. */
    private static Instant parseUtc(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if ((year | month | day | hour | minute | second) < 0) {
            return null;
        }
        int nano = 0;
        if (n > 20) {
            int fractionDigits = n - 21;
            if (s.charAt(19) != '.' || fractionDigits < 1 || fractionDigits > 9) {
                return null;
            }
            nano = digits(s, 20, fractionDigits);
            if (nano < 0) {
                return null;
            }
            for (int i = fractionDigits; i < 9; i++) {
                nano *= 10;
            }
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second, nano).toInstant(ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            return null; // out of range: let the formatter report it
        }
    }

    /**
     * The value of {@code count} decimal digits at {@code from}, or -1 when one is not a digit or
     * the text ends before them (also for {@link TextValues}).
     */
    static int digits(String s, int from, int count) {
        if (from + count > s.length()) {
            return -1;
        }
        int v = 0;
        for (int i = from; i < from + count; i++) {
            int d = s.charAt(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
