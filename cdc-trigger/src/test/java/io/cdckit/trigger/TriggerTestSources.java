package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.TableId;
import io.cdckit.testkit.TestSources;
import io.cdckit.testkit.TestDatabase;

import java.util.LinkedHashMap;
import java.util.Map;

/** Builds and starts trigger sources for the tests of this module, and closes them afterwards. */
final class TriggerTestSources implements AutoCloseable {

    private final TestSources sources;

    TriggerTestSources(TestDatabase db) {
        this.sources = new TestSources(db);
    }

    /** A config for a trigger source named {@code name} over {@code tables}, plus {@code extra} keys. */
    CdcConfig config(String name, String flavour, Map<String, String> extra, TableId... tables) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("cdc.mode", "trigger");
        p.put("cdc.trigger.flavour", flavour);
        p.putAll(extra);
        return sources.config(name, p, tables);
    }

    CdcConfig config(String name, String flavour, TableId... tables) {
        return config(name, flavour, Map.of(), tables);
    }

    ChangeSource start(CdcConfig config, OffsetStore offsets, ChangeHandler handler) {
        return sources.start(config, offsets, handler);
    }

    @Override
    public void close() {
        sources.close();
    }
}
