package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An event processor: routes each change to the listener registered for its table, by
 * operation (insert, update, delete, snapshot read, truncate). Changes of tables without a
 * listener are ignored.
 *
 * <pre>{@code
 * source.start(ChangeDispatcher.builder()
 *         .on("public.orders", new RowListener() {
 *             public void inserted(ChangeEvent e) { cache.put(e.key(), e.after()); }
 *             public void deleted(ChangeEvent e) { cache.remove(e.key()); }
 *         })
 *         .build());
 * }</pre>
 */
public final class ChangeDispatcher implements ChangeHandler {

    /**
     * Receives the changes of one table; every method defaults to doing nothing, so a listener
     * implements only what it cares about.
     */
    public interface RowListener {
        /** A row was inserted: {@code after} holds it. */
        default void inserted(ChangeEvent event) throws Exception {
        }

        /** A row was updated: {@code after} holds the new row, {@code before} the old one where the strategy sees it. */
        default void updated(ChangeEvent event) throws Exception {
        }

        /** A row was deleted: {@code key} identifies it, {@code before} holds it where the strategy sees it. */
        default void deleted(ChangeEvent event) throws Exception {
        }

        /** A snapshot read an existing row: {@code after} holds it. */
        default void snapshotRead(ChangeEvent event) throws Exception {
        }

        /** The table was truncated. */
        default void truncated(ChangeEvent event) throws Exception {
        }
    }

    private final Map<TableId, RowListener> listeners;

    private ChangeDispatcher(Map<TableId, RowListener> listeners) {
        this.listeners = Map.copyOf(listeners);
    }

    /** A builder registering one listener per table. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void handle(List<ChangeEvent> events) throws Exception {
        for (ChangeEvent e : events) {
            RowListener l = listeners.get(e.table());
            if (l == null) {
                continue;
            }
            switch (e.op()) {
                case CREATE -> l.inserted(e);
                case UPDATE -> l.updated(e);
                case DELETE -> l.deleted(e);
                case READ -> l.snapshotRead(e);
                case TRUNCATE -> l.truncated(e);
            }
        }
    }

    /** Registers listeners. */
    public static final class Builder {
        private final Map<TableId, RowListener> listeners = new LinkedHashMap<>();

        private Builder() {
        }

        /** Routes the changes of {@code table} ({@code schema.table} syntax) to {@code listener}. */
        public Builder on(String table, RowListener listener) {
            return on(TableId.parse(table), listener);
        }

        /** Routes the changes of {@code table} to {@code listener}. */
        public Builder on(TableId table, RowListener listener) {
            if (listeners.putIfAbsent(table, Objects.requireNonNull(listener, "listener")) != null) {
                throw new IllegalArgumentException("a listener for " + table + " is already registered");
            }
            return this;
        }

        /** The dispatcher. */
        public ChangeDispatcher build() {
            return new ChangeDispatcher(listeners);
        }
    }
}
