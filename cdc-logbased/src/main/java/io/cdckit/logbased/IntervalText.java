package io.cdckit.logbased;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes an interval the way PostgreSQL prints it ({@code IntervalStyle=postgres}, e.g.
 * {@code 1 year 2 mons -3 days +04:05:06.5}) from the ISO-8601 form Debezium emits with
 * {@code interval.handling.mode=string} ({@code P1Y2M-3DT4H5M6.5S}).
 */
final class IntervalText {

    private static final Pattern ISO = Pattern.compile(
            "P(-?\\d+)Y(-?\\d+)M(-?\\d+)DT(-?\\d+)H(-?\\d+)M(-?\\d+(?:\\.\\d+)?(?:[eE]-?\\d+)?)S");

    private IntervalText() {
    }

    /** PostgreSQL's text of the interval; other input is returned unchanged. */
    static String fromIso(String iso) {
        Matcher m = ISO.matcher(iso);
        if (!m.matches()) {
            return iso;
        }
        long years = Long.parseLong(m.group(1));
        long months = Long.parseLong(m.group(2));
        long days = Long.parseLong(m.group(3));
        long hours = Long.parseLong(m.group(4));
        long minutes = Long.parseLong(m.group(5));
        BigDecimal seconds = new BigDecimal(m.group(6));
        StringBuilder sb = new StringBuilder();
        boolean before = false;
        boolean zero = true;
        long[] parts = {years, months, days};
        String[] units = {"year", "mon", "day"};
        for (int i = 0; i < 3; i++) {
            long v = parts[i];
            if (v == 0) {
                continue;
            }
            if (!zero) {
                sb.append(' ');
            }
            sb.append(before && v > 0 ? "+" : "").append(v).append(' ').append(units[i]).append(v != 1 ? "s" : "");
            before = v < 0;
            zero = false;
        }
        boolean negativeTime = hours < 0 || minutes < 0 || seconds.signum() < 0;
        if (zero || hours != 0 || minutes != 0 || seconds.signum() != 0) {
            if (!zero) {
                sb.append(' ');
            }
            sb.append(negativeTime ? "-" : before ? "+" : "");
            sb.append(String.format("%02d:%02d:", Math.abs(hours), Math.abs(minutes)));
            BigDecimal abs = seconds.abs();
            BigDecimal whole = new BigDecimal(abs.toBigInteger());
            sb.append(String.format("%02d", abs.toBigInteger().intValue()));
            BigDecimal fraction = abs.subtract(whole).stripTrailingZeros();
            if (fraction.signum() != 0) {
                String f = fraction.toPlainString();
                sb.append(f.substring(f.indexOf('.')));
            }
        }
        return sb.toString();
    }
}
