package io.cdckit.timestamp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.CdcException;
import io.cdckit.api.Position;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes and reads the reader's {@link Position}: {@code seq} (events so far, which orders
 * positions), {@code bound} (the watermark in force), per table {@code T}: {@code T#ts} and
 * {@code T#key} (a JSON array of the key columns' texts) where the stream stands, and
 * {@code T#partial} while the table's first snapshot runs; then the progress of a running
 * snapshot ({@code snapshot.*}, {@link SnapshotProgress#fields()}) and the tables captured
 * ({@code tables}, {@link SnapshotProgress#capturedField}).
 */
final class PositionCodec {

    static final String SEQ = "seq";
    static final String BOUND = "bound";
    private static final Logger LOG = LoggerFactory.getLogger(PositionCodec.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> TEXTS = new TypeReference<>() {
    };

    private PositionCodec() {
    }

    /**
     * The decoded state: event sequence, bound in force, the tables' stream positions and the
     * snapshot's progress (null when none runs).
     */
    record State(long seq, String bound, Map<TableId, TablePosition> tables, SnapshotProgress progress) {
    }

    static Position encode(long seq, String bound, Map<TableId, TablePosition> tables, SnapshotProgress progress,
                           List<TableId> captured) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put(SEQ, seq);
        f.put(BOUND, bound);
        tables.forEach((id, p) -> {
            String t = id.toString();
            f.put(t + "#ts", p.ts());
            f.put(t + "#key", p.key() == null ? null : json(p.key()));
            if (p.partial()) {
                f.put(t + "#partial", true);
            }
        });
        SnapshotProgress.addTo(f, progress);
        f.putAll(SnapshotProgress.capturedField(captured));
        return new Position(f);
    }

    static State decode(Position position, List<TableId> tables) {
        Map<String, Object> f = position.fields();
        if (!(f.get(SEQ) instanceof Long seq)) {
            throw new CdcException("The committed position " + f + " was not written by cdc.mode=timestamp: "
                    + "delete it from the offset store (or use another cdc.name) to start over.");
        }
        Map<TableId, TablePosition> out = new LinkedHashMap<>();
        for (TableId id : tables) {
            String t = id.toString();
            if (!f.containsKey(t + "#ts")) {
                continue;
            }
            String key = (String) f.get(t + "#key");
            if (f.get(t + "#snap") != null) {
                // an earlier version read its snapshot in (timestamp, key) order below this bound
                LOG.info("The committed position of {} is in a snapshot of an earlier version: the rows it had not "
                        + "delivered yet come as changes (c/u) from where it stopped", id);
            }
            out.put(id, new TablePosition((String) f.get(t + "#ts"), key == null ? null : texts(key),
                    Boolean.TRUE.equals(f.get(t + "#partial"))));
        }
        SnapshotProgress progress;
        try {
            progress = SnapshotProgress.from(position);
        } catch (IllegalArgumentException e) {
            throw new CdcException("The committed position holds an unreadable snapshot progress: delete it from "
                    + "the offset store (or use another cdc.name) to start over. " + e.getMessage(), e);
        }
        return new State(seq, (String) f.get(BOUND), out, progress);
    }

    static String json(List<String> texts) {
        try {
            return JSON.writeValueAsString(texts);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> texts(String json) {
        try {
            return JSON.readValue(json, TEXTS);
        } catch (JsonProcessingException e) {
            throw new CdcException("The committed position holds an unreadable key " + json + ": delete it from "
                    + "the offset store (or use another cdc.name) to start over.", e);
        }
    }
}
