package io.cdckit.kafka;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;

import java.util.LinkedHashMap;
import java.util.Map;

/** Events made up by the tests that need no database: one row {@code (id, v)} per event. */
final class TestEvents {

    private TestEvents() {
    }

    /** An event of {@code op} on row {@code id} of {@code table} with text {@code v}, at position {@code id}. */
    static ChangeEvent event(TableId table, Op op, int id, String v) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("v", v);
        SourceInfo source = new SourceInfo("test", "trigger", "made_up", null, SourceInfo.SNAPSHOT_FALSE, "db",
                table.schema(), table.table(), null, null, null, null);
        return new ChangeEvent(op, op == Op.CREATE ? null : row, op == Op.DELETE ? null : row, Map.of("id", id),
                source, 1_700_000_000_000L + id, null, Position.of("id", (long) id));
    }
}
