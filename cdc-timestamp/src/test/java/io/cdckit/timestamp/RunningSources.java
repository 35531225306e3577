package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.TestDatabase;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds timestamp sources for tests and closes them afterwards. */
final class RunningSources implements AutoCloseable {

    private final TestDatabase db;
    private final List<ChangeSource> started = new ArrayList<>();

    RunningSources(TestDatabase db) {
        this.db = db;
    }

    /** A timestamp config over {@code tables} with fast polling and {@code extra} keys on top. */
    CdcConfig config(String name, Map<String, String> extra, TableId... tables) {
        Map<String, Object> p = new LinkedHashMap<>(db.cdcProperties());
        p.put("cdc.mode", "timestamp");
        p.put("cdc.name", name);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "20ms");
        p.put("cdc.timestamp.reconcile.every-polls", "1");
        p.putAll(extra);
        return CdcConfig.builder().putAll(p).tables(tables).build();
    }

    ChangeSource start(CdcConfig config, OffsetStore offsets, ChangeHandler handler) {
        ChangeSource source = ChangeSources.builder(config).offsetStore(offsets).build();
        started.add(source);
        if (handler instanceof CapturedEvents captured) {
            captured.watching(source);
        }
        source.start(handler);
        return source;
    }

    @Override
    public void close() {
        for (ChangeSource s : started) {
            s.close();
        }
        started.clear();
    }
}
