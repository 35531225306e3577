package io.cdckit.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares typed column values exactly: same Java class, same value (BigDecimal scale included,
 * byte[] by content, lists element by element).
 */
public final class TypedValueAssert {

    private TypedValueAssert() {
    }

    /**
     * The differences between the expected columns and the actual row; columns of {@code actual}
     * not in {@code expected} are ignored. Empty when every expected column matches.
     */
    public static List<String> differences(Map<String, ?> expected, Map<String, ?> actual) {
        List<String> out = new ArrayList<>();
        if (actual == null) {
            out.add("expected a row image, got null");
            return out;
        }
        for (Map.Entry<String, ?> e : expected.entrySet()) {
            if (!actual.containsKey(e.getKey())) {
                out.add("column " + e.getKey() + " is missing");
                continue;
            }
            String d = difference(e.getValue(), actual.get(e.getKey()));
            if (d != null) {
                out.add("column " + e.getKey() + ": " + d);
            }
        }
        return out;
    }

    /** Why two values differ, or null when they are the same typed value. */
    public static String difference(Object expected, Object actual) {
        if (expected == null || actual == null) {
            return expected == actual ? null : "expected " + describe(expected) + ", got " + describe(actual);
        }
        if (expected.getClass() != actual.getClass() && !(expected instanceof List && actual instanceof List)
                && !(expected instanceof com.fasterxml.jackson.databind.JsonNode
                && actual instanceof com.fasterxml.jackson.databind.JsonNode)) {
            return "expected " + describe(expected) + ", got " + describe(actual);
        }
        if (expected instanceof byte[] a) {
            return Arrays.equals(a, (byte[]) actual) ? null
                    : "expected bytes " + Arrays.toString(a) + ", got " + Arrays.toString((byte[]) actual);
        }
        if (expected instanceof List<?> a) {
            List<?> b = (List<?>) actual;
            if (a.size() != b.size()) {
                return "expected list " + a + ", got " + b;
            }
            for (int i = 0; i < a.size(); i++) {
                String d = difference(a.get(i), b.get(i));
                if (d != null) {
                    return "element " + i + ": " + d;
                }
            }
            return null;
        }
        return Objects.equals(expected, actual) ? null : "expected " + describe(expected) + ", got " + describe(actual);
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        String text = v instanceof byte[] b ? Arrays.toString(b) : String.valueOf(v);
        return v.getClass().getSimpleName() + " " + text;
    }
}
