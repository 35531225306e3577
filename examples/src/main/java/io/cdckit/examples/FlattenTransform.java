package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns an event into the flat row a sink wants, like Debezium's {@code ExtractNewRecordState}:
 * the row after the change, plus optional {@code __}-prefixed fields taken from the envelope.
 *
 * <ul>
 *   <li>inserts, updates and snapshot reads give {@code after};</li>
 *   <li>deletes, with {@link DeleteHandling#REWRITE}, give the last known row ({@code before},
 *       or only the key where the strategy has no before image) with {@code __deleted = "true"};
 *       with {@link DeleteHandling#DROP} they give nothing;</li>
 *   <li>truncates give nothing (a flat row cannot say "all rows").</li>
 * </ul>
 * With REWRITE, every other row carries {@code __deleted = "false"}, as Debezium does.
 */
public final class FlattenTransform {

    /** What a delete becomes. */
    public enum DeleteHandling {
        /** Deletes are dropped. */
        DROP,
        /** Deletes become the last known row with {@code __deleted = "true"}. */
        REWRITE
    }

    /** Envelope fields that can be added as {@code __name}. */
    public enum Field {
        /** {@code __op}: c, u, d or r. */
        OP,
        /** {@code __table}: the table name. */
        TABLE,
        /** {@code __schema}: the schema name. */
        SCHEMA,
        /** {@code __lsn}: the WAL position, where the strategy knows it. */
        LSN,
        /** {@code __source_ts_ms}: the commit time, where the strategy knows it. */
        SOURCE_TS_MS,
        /** {@code __ts_ms}: when cdckit processed the change. */
        TS_MS
    }

    private final DeleteHandling deletes;
    private final List<Field> added;

    /** A transform with the given delete handling and added fields, in that order. */
    public FlattenTransform(DeleteHandling deletes, Field... added) {
        this.deletes = Objects.requireNonNull(deletes, "deletes");
        this.added = List.of(added);
    }

    /** The flat row, or empty when the event is dropped. */
    public Optional<Map<String, Object>> apply(ChangeEvent e) {
        Map<String, Object> row = new LinkedHashMap<>();
        switch (e.op()) {
            case TRUNCATE -> {
                return Optional.empty();
            }
            case DELETE -> {
                if (deletes == DeleteHandling.DROP) {
                    return Optional.empty();
                }
                row.putAll(e.before() != null ? e.before() : e.key());
            }
            default -> row.putAll(e.after());
        }
        for (Field f : added) {
            row.put("__" + f.name().toLowerCase(java.util.Locale.ROOT), switch (f) {
                case OP -> e.op().code();
                case TABLE -> e.source().table();
                case SCHEMA -> e.source().schema();
                case LSN -> e.source().lsn();
                case SOURCE_TS_MS -> e.source().tsMs();
                case TS_MS -> e.tsMs();
            });
        }
        if (deletes == DeleteHandling.REWRITE) {
            row.put("__deleted", String.valueOf(e.op() == Op.DELETE));
        }
        return Optional.of(Collections.unmodifiableMap(row));
    }
}
