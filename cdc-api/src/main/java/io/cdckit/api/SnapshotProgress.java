package io.cdckit.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How far a chunked snapshot got, kept in the committed position so that a restarted source
 * resumes at the next chunk: the tables still to read (the first is being read), the text form
 * of the last key of the last chunk delivered, and the largest key the table had when its
 * snapshot began (rows above it are new and come as changes). Strategies store it in their
 * positions under the {@code snapshot.} fields of {@link #fields()}.
 *
 * @param tables the tables still to snapshot, the current one first; never empty
 * @param after  the text form of the key of the last row delivered from the current table, or null before its first chunk
 * @param upTo   the text form of the current table's largest key when its snapshot began, or null before its first chunk
 * @param chunks chunks delivered so far, of every table of this snapshot
 * @param rows   rows delivered so far, of every table of this snapshot
 */
public record SnapshotProgress(List<TableId> tables, List<String> after, List<String> upTo, long chunks, long rows) {

    /** Said by a reader that does not publish its progress: see the committed position instead. */
    public static final SnapshotProgress UNKNOWN = new SnapshotProgress(List.of(new TableId("?", "?")), null, null, -1, -1);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };

    /** Freezes the lists and checks there is a table to read. */
    public SnapshotProgress {
        tables = List.copyOf(tables);
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("a snapshot needs a table");
        }
        after = after == null ? null : List.copyOf(after);
        upTo = upTo == null ? null : List.copyOf(upTo);
    }

    /** A snapshot of {@code tables} that has not begun; null when there is no table. */
    public static SnapshotProgress of(List<TableId> tables) {
        return tables.isEmpty() ? null : new SnapshotProgress(tables, null, null, 0, 0);
    }

    /** The table being read. */
    public TableId table() {
        return tables.get(0);
    }

    /** True before the current table's first chunk: its largest key is still to be read. */
    public boolean tableNotBegun() {
        return upTo == null;
    }

    /** After a chunk of the current table: its last key, with the table's bound (read at its first chunk). */
    public SnapshotProgress chunkRead(List<String> lastKey, List<String> bound, int chunkRows) {
        return new SnapshotProgress(tables, lastKey, bound, chunks + 1, rows + chunkRows);
    }

    /** After the current table's last chunk: the next table, or null when the snapshot is done. */
    public SnapshotProgress tableDone() {
        return tables.size() == 1 ? null
                : new SnapshotProgress(tables.subList(1, tables.size()), null, null, chunks, rows);
    }

    /** This snapshot with {@code more} tables queued after those it still has (each once). */
    public SnapshotProgress plus(List<TableId> more) {
        List<TableId> all = new ArrayList<>(tables);
        for (TableId t : more) {
            if (!all.subList(1, all.size()).contains(t)) {
                all.add(t);
            }
        }
        return new SnapshotProgress(all, after, upTo, chunks, rows);
    }

    /**
     * This progress without the tables no longer captured (removed from {@code cdc.tables} since it
     * was saved): null when none is left; the current table's keys are kept only if it still is.
     */
    public SnapshotProgress retainOnly(List<TableId> captured) {
        List<TableId> left = tables.stream().filter(captured::contains).toList();
        if (left.isEmpty()) {
            return null;
        }
        if (!left.get(0).equals(table())) {
            return new SnapshotProgress(left, null, null, chunks, rows);
        }
        return left.size() == tables.size() ? this : new SnapshotProgress(left, after, upTo, chunks, rows);
    }

    /** The position fields that hold this progress. */
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("snapshot.tables", json(tables.stream().map(TableId::toString).toList()));
        if (after != null) {
            f.put("snapshot.after", json(after));
        }
        if (upTo != null) {
            f.put("snapshot.upTo", json(upTo));
        }
        f.put("snapshot.chunks", chunks);
        f.put("snapshot.rows", rows);
        return f;
    }

    /** {@code fields} with this progress added, or {@code progress} null: unchanged. */
    public static Map<String, Object> addTo(Map<String, Object> fields, SnapshotProgress progress) {
        if (progress != null) {
            fields.putAll(progress.fields());
        }
        return fields;
    }

    /** The position field that lists the tables a source captures, for finding tables added later. */
    public static Map<String, Object> capturedField(List<TableId> tables) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("tables", json(tables.stream().map(TableId::toString).toList()));
        return f;
    }

    /** The tables {@code position} says its source captured, or null when it does not say (older positions). */
    public static List<TableId> captured(Position position) {
        String tables = position == null ? null : position.getString("tables");
        return tables == null ? null : parse(tables).stream().map(TableId::parse).toList();
    }

    /** The progress held in {@code position}, or null when it holds none. */
    public static SnapshotProgress from(Position position) {
        if (position == null || position.getString("snapshot.tables") == null) {
            return null;
        }
        List<TableId> tables = parse(position.getString("snapshot.tables")).stream().map(TableId::parse).toList();
        String after = position.getString("snapshot.after");
        String upTo = position.getString("snapshot.upTo");
        Object chunks = position.fields().get("snapshot.chunks");
        Object rows = position.fields().get("snapshot.rows");
        return new SnapshotProgress(tables, after == null ? null : parse(after), upTo == null ? null : parse(upTo),
                chunks instanceof Long l ? l : 0, rows instanceof Long l ? l : 0);
    }

    private static String json(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> parse(String json) {
        try {
            return JSON.readValue(json, STRINGS);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid snapshot progress " + json + ": " + e.getOriginalMessage(), e);
        }
    }
}
