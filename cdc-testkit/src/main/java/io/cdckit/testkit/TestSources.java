package io.cdckit.testkit;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.TableId;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts sources on a test database with test-friendly settings and closes them all at the end
 * of a test: {@code try (TestSources sources = new TestSources(db)) { ... }}.
 */
public final class TestSources implements AutoCloseable {

    private final TestDatabase db;
    private final List<ChangeSource> started = new ArrayList<>();

    /** Sources on {@code db}. */
    public TestSources(TestDatabase db) {
        this.db = db;
    }

    /**
     * A config for source {@code name} over {@code tables}: the database's connection, no
     * snapshot, 20 ms polls, fast retries, then {@code properties} on top (at least
     * {@code cdc.mode}).
     */
    public CdcConfig config(String name, Map<String, String> properties, TableId... tables) {
        Map<String, Object> p = new LinkedHashMap<>(db.cdcProperties());
        p.put("cdc.name", name);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "20ms");
        p.put("cdc.errors.retry.initial-delay", "10ms");
        p.put("cdc.errors.retry.max-delay", "50ms");
        p.putAll(properties);
        return CdcConfig.builder().putAll(p).tables(tables).build();
    }

    /** Creates and starts a source; a {@link CapturedEvents} handler watches it for failures. */
    public ChangeSource start(CdcConfig config, OffsetStore offsets, ChangeHandler handler) {
        return start(ChangeSources.builder(config).offsetStore(offsets).build(), handler);
    }

    /** Starts {@code source} (e.g. a decorated one) and closes it with the others. */
    public ChangeSource start(ChangeSource source, ChangeHandler handler) {
        started.add(source);
        if (handler instanceof CapturedEvents captured) {
            captured.watching(source);
        }
        source.start(handler);
        return source;
    }

    /** Closes every source started here. */
    @Override
    public void close() {
        for (ChangeSource s : started) {
            s.close();
        }
        started.clear();
    }
}
