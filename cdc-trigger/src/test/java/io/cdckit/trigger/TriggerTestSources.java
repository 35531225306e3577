package io.cdckit.trigger;

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

/** Builds and starts trigger sources for the tests of this module, and closes them afterwards. */
final class TriggerTestSources implements AutoCloseable {

    private final TestDatabase db;
    private final List<ChangeSource> started = new ArrayList<>();

    TriggerTestSources(TestDatabase db) {
        this.db = db;
    }

    /** A config for a trigger source named {@code name} over {@code tables}, plus {@code extra} keys. */
    CdcConfig config(String name, String flavour, Map<String, String> extra, TableId... tables) {
        Map<String, Object> p = new LinkedHashMap<>(db.cdcProperties());
        p.put("cdc.mode", "trigger");
        p.put("cdc.name", name);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "20ms");
        p.put("cdc.trigger.flavour", flavour);
        p.putAll(extra);
        return CdcConfig.builder().putAll(p).tables(tables).build();
    }

    CdcConfig config(String name, String flavour, TableId... tables) {
        return config(name, flavour, Map.of(), tables);
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
