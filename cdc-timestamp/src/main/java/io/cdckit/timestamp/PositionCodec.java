package io.cdckit.timestamp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.CdcException;
import io.cdckit.api.Position;
import io.cdckit.api.TableId;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes and reads the reader's {@link Position}: {@code seq} (events so far, which orders
 * positions), {@code bound} (the watermark in force) and, per table {@code T}, {@code T#ts},
 * {@code T#key} (a JSON array of the key columns' texts) and {@code T#snap} (snapshot end).
 */
final class PositionCodec {

    static final String SEQ = "seq";
    static final String BOUND = "bound";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> TEXTS = new TypeReference<>() {
    };

    private PositionCodec() {
    }

    /** The decoded state: event sequence, bound in force and the tables' positions. */
    record State(long seq, String bound, Map<TableId, TablePosition> tables) {
    }

    static Position encode(long seq, String bound, Map<TableId, TablePosition> tables) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put(SEQ, seq);
        f.put(BOUND, bound);
        tables.forEach((id, p) -> {
            String t = id.toString();
            f.put(t + "#ts", p.ts());
            f.put(t + "#key", p.key() == null ? null : json(p.key()));
            if (p.snapshotEnd() != null) {
                f.put(t + "#snap", p.snapshotEnd());
            }
        });
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
            out.put(id, new TablePosition((String) f.get(t + "#ts"), key == null ? null : texts(key),
                    (String) f.get(t + "#snap")));
        }
        return new State(seq, (String) f.get(BOUND), out);
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
