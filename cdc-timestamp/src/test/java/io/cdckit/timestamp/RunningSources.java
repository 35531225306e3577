package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.TestSources;
import io.cdckit.testkit.TestDatabase;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds timestamp sources for tests and closes them afterwards. */
final class RunningSources implements AutoCloseable {

    private final TestSources sources;

    RunningSources(TestDatabase db) {
        this.sources = new TestSources(db);
    }

    /** A timestamp config over {@code tables} with fast polling and {@code extra} keys on top. */
    CdcConfig config(String name, Map<String, String> extra, TableId... tables) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("cdc.mode", "timestamp");
        p.put("cdc.timestamp.reconcile.every-polls", "1");
        p.putAll(extra);
        return sources.config(name, p, tables);
    }

    /** The captured events as {@code op:id}, e.g. {@code c:1}. */
    static List<String> opsAndIds(CapturedEvents captured) {
        return captured.events().stream().map(e -> e.op().code() + ":" + e.key().get("id")).toList();
    }

    ChangeSource start(CdcConfig config, OffsetStore offsets, ChangeHandler handler) {
        return sources.start(config, offsets, handler);
    }

    @Override
    public void close() {
        sources.close();
    }
}
