package io.cdckit.api;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * Maps handed over to the event model without a copy. {@link ChangeEvent} copies its row images
 * and {@link Position} its fields, so that nobody can change them afterwards; a reader that builds
 * a fresh map per event and never touches it again can hand it over instead, and both keep it as
 * it is. That saves several map copies per event on the fastest capture paths.
 *
 * <p>The caller gives up the map: it must not change it, nor keep a reference it could change it
 * through. Position fields handed over are still checked to be JSON scalars.
 */
public final class HandedOver {

    private HandedOver() {
    }

    /** {@code map}, handed over: an unmodifiable view that the event model takes without copying. */
    public static Map<String, Object> map(Map<String, Object> map) {
        return map instanceof Frozen ? map : new Frozen(map);
    }

    /** True when {@code map} was handed over. */
    static boolean is(Map<String, Object> map) {
        return map instanceof Frozen;
    }

    /** An unmodifiable view of a map nobody else changes. */
    private static final class Frozen extends AbstractMap<String, Object> {
        private final Map<String, Object> view;

        Frozen(Map<String, Object> map) {
            this.view = Collections.unmodifiableMap(map);
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return view.entrySet();
        }

        @Override
        public Object get(Object key) {
            return view.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return view.containsKey(key);
        }

        @Override
        public int size() {
            return view.size();
        }

        @Override
        public Set<String> keySet() {
            return view.keySet();
        }

        @Override
        public java.util.Collection<Object> values() {
            return view.values();
        }
    }
}
