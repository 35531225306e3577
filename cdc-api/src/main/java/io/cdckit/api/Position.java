package io.cdckit.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a source stands in its stream of changes: what the {@link OffsetStore} persists and
 * what a restarted source resumes after.
 *
 * <p>Opaque to the application; each strategy decides its fields (for example an LSN, or a
 * change-log batch and id). Positions of one source are totally ordered by the strategy that
 * made them. Values are JSON scalars only (String, Long, Boolean or null) so that a position
 * survives a round trip through JSON unchanged; integers are widened to Long.
 *
 * @param fields the strategy's fields; their order carries no meaning (equality is map equality)
 */
public record Position(Map<String, Object> fields) {

    /** Copies the fields (unless they were {@link HandedOver}), checking that every value is a JSON scalar. */
    public Position {
        Objects.requireNonNull(fields, "fields");
        if (!HandedOver.is(fields) || !normalised(fields)) {
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                copy.put(Objects.requireNonNull(e.getKey(), "field name"), normalise(e.getKey(), e.getValue()));
            }
            fields = Collections.unmodifiableMap(copy);
        }
    }

    /** A position with one field. */
    public static Position of(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(name, value);
        return new Position(m);
    }

    /** A position with two fields. */
    public static Position of(String name1, Object value1, String name2, Object value2) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(name1, value1);
        m.put(name2, value2);
        return new Position(m);
    }

    /** The field as a long; fails if it is absent or not a number. */
    public long getLong(String name) {
        Object v = fields.get(name);
        if (v instanceof Long l) {
            return l;
        }
        throw new IllegalStateException("position " + fields + " has no numeric field '" + name + "'");
    }

    /** The field as a string, or null when absent. */
    public String getString(String name) {
        Object v = fields.get(name);
        return v == null ? null : v.toString();
    }

    /** True when every field of a map handed over is already as {@link #normalise} leaves it. */
    private static boolean normalised(Map<String, Object> fields) {
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            Object v = e.getValue();
            if (e.getKey() == null || !(v == null || v instanceof String || v instanceof Long || v instanceof Boolean)) {
                return false;
            }
        }
        return true;
    }

    private static Object normalise(String name, Object value) {
        if (value == null || value instanceof String || value instanceof Long || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        throw new IllegalArgumentException("position field '" + name + "' holds a " + value.getClass().getName()
                + ": only String, Long, Integer, Short, Byte, Boolean or null are allowed");
    }
}
