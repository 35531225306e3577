package io.cdckit.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One change of one row (or, for {@link Op#TRUNCATE}, of one table), the same shape for every
 * strategy: Debezium's envelope as a Java record.
 *
 * <p>Column values are typed Java values, the same for the same row state whatever the
 * strategy: {@code int2}→Short, {@code int4}→Integer, {@code int8}→Long, {@code numeric}→BigDecimal,
 * {@code float4}→Float, {@code float8}→Double, {@code bool}→Boolean,
 * {@code text/varchar/char/name/enum}→String, {@code uuid}→UUID, {@code bytea}→byte[],
 * {@code date}→LocalDate, {@code time}→LocalTime, {@code timestamp}→LocalDateTime,
 * {@code timestamptz}→Instant, {@code json/jsonb}→Jackson {@code JsonNode}, arrays→List, anything else→
 * String in PostgreSQL's text output. SQL NULL is {@code null}. The maps keep the table's column
 * order and allow null values; they are unmodifiable.
 *
 * @param op          what happened
 * @param before      the row before the change; null for inserts, snapshot reads, truncates and
 *                    where the strategy cannot see it
 * @param after       the row after the change; null for deletes and truncates
 * @param key         the row's primary-key (or configured key) columns; empty for truncates
 * @param source      where the change came from
 * @param tsMs        when cdckit processed the change, in epoch milliseconds
 * @param transaction transaction metadata, or null when not known or not requested
 * @param position    where the source stands after this event
 */
public record ChangeEvent(Op op, Map<String, Object> before, Map<String, Object> after,
                          Map<String, Object> key, SourceInfo source, long tsMs,
                          TransactionInfo transaction, Position position) {

    /** Checks the required parts and freezes the maps. */
    public ChangeEvent {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(position, "position");
        before = freeze(before);
        after = freeze(after);
        key = key == null ? Map.of() : freeze(key);
    }

    /** The changed table, or null when the source does not say. */
    public TableId table() {
        return source.tableId();
    }

    /** The row image that describes the row now: {@code after}, or {@code before} for a delete. */
    public Map<String, Object> row() {
        return after != null ? after : before;
    }

    private static Map<String, Object> freeze(Map<String, Object> m) {
        if (m == null || HandedOver.is(m)) {
            return m;
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** This event with {@code transaction} as its transaction metadata. */
    public ChangeEvent withTransaction(TransactionInfo transaction) {
        return new ChangeEvent(op, before, after, key, source, tsMs, transaction, position);
    }
}
