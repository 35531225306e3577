package io.cdckit.logbased;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of bytes as PostgreSQL writes it: a plain number of bytes, or a number with one of
 * the units {@code B}, {@code kB}, {@code MB}, {@code GB}, {@code TB} (1024-based, as in
 * {@code postgresql.conf}; the unit's case does not matter). Shown with the largest unit that
 * divides it, e.g. {@code 1GB}.
 *
 * @param bytes the amount, at least 1
 */
record ByteSize(long bytes) {

    /** What a value may look like, for error messages and documentation. */
    static final String ALLOWED = "a size of at least 1 byte: a number of bytes, or a number with a unit kB, MB, GB "
            + "or TB (1024-based, as in postgresql.conf), e.g. 100kB, 512MB or 1GB";

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb|tb)?");
    private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB"};

    ByteSize {
        if (bytes < 1) {
            throw new IllegalArgumentException(ALLOWED);
        }
    }

    /**
     * Parses {@code 512MB}, {@code 1GB}, {@code 100kB}, {@code 1048576}.
     *
     * @throws IllegalArgumentException saying what is allowed
     */
    static ByteSize parse(String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(ALLOWED);
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        int shift = switch (unit) {
            case "kb" -> 10;
            case "mb" -> 20;
            case "gb" -> 30;
            case "tb" -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new IllegalArgumentException(ALLOWED);
            }
            return new ByteSize(n << shift);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ALLOWED);
        }
    }

    /** The largest unit that divides the amount exactly: {@code 1GB}, {@code 64kB}, {@code 1000B}. */
    @Override
    public String toString() {
        int unit = 0;
        long n = bytes;
        while (unit < UNITS.length - 1 && n % 1024 == 0) {
            n /= 1024;
            unit++;
        }
        return n + UNITS[unit];
    }
}
