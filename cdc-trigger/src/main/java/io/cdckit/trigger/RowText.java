package io.cdckit.trigger;

import java.util.ArrayList;
import java.util.List;

/**
 * A row image as the log stores it: PostgreSQL's text form of a record, {@code (f1,f2,...)},
 * where an empty unquoted field is NULL and quoted fields escape {@code "} and {@code \}.
 * Split here only to line the fields up with the table's current columns after the table was
 * altered; the values themselves are decoded by the server with the table's row type.
 */
final class RowText {

    private RowText() {
    }

    /** The raw fields (still quoted and escaped) of a record's text form. */
    static List<String> fields(String record) {
        if (record.length() < 2 || record.charAt(0) != '(' || record.charAt(record.length() - 1) != ')') {
            throw new IllegalArgumentException("not a record's text form: " + abbreviate(record));
        }
        List<String> fields = new ArrayList<>();
        int start = 1;
        boolean quoted = false;
        int end = record.length() - 1;
        for (int i = 1; i < end; i++) {
            char c = record.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                if (quoted && i + 1 < end && record.charAt(i + 1) == '"') {
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (c == ',' && !quoted) {
                fields.add(record.substring(start, i));
                start = i + 1;
            }
        }
        fields.add(record.substring(start, end));
        return fields;
    }

    /** A record's text form from raw fields. */
    static String join(List<String> fields) {
        return "(" + String.join(",", fields) + ")";
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
