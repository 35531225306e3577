package io.cdckit.micrometer;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.Op;
import io.cdckit.api.SourceHealth;
import io.cdckit.api.SnapshotStatus;
import io.cdckit.api.SourceMetrics;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Binds a {@link ChangeSource}'s metrics, health and backlog to a Micrometer {@link MeterRegistry}.
 *
 * <pre>{@code
 * ChangeSource source = ChangeSources.create(config);
 * ChangeSourceMetrics metrics = new ChangeSourceMetrics(source);
 * metrics.bindTo(registry);
 * source.start(handler);
 * ...
 * metrics.close();   // removes the meters, e.g. before a source of the same name replaces this one
 * source.close();
 * }</pre>
 *
 * <p>Every meter is function-based: it reads {@link ChangeSource#metrics()} (and {@link ChangeSource#health()}
 * for {@code cdc.health}) when the registry asks for its value, so there is no thread of its own. Both are
 * cached for one second, so that one scrape of all meters costs one call of each. Every meter carries the
 * tags {@code source} ({@code cdc.name}) and {@code mode} ({@code cdc.mode}) and the extra tags given to the
 * constructor; {@code cdc.events} also {@code table} ({@code schema.table}) and {@code op}.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>value</th></tr>
 *   <tr><td>{@code cdc.events}</td><td>function counter, per captured table (configured, or found by pattern from its first event on) and op ({@code create},
 *       {@code update}, {@code delete}, {@code read}, {@code truncate})</td><td>events the handler processed</td></tr>
 *   <tr><td>{@code cdc.batches}</td><td>function counter</td><td>batches the handler processed</td></tr>
 *   <tr><td>{@code cdc.handler}</td><td>function timer</td><td>count: batches processed; total time: time
 *       spent in the handler, attempts that threw included</td></tr>
 *   <tr><td>{@code cdc.handler.failures}</td><td>function counter</td><td>times the handler threw</td></tr>
 *   <tr><td>{@code cdc.retries}</td><td>function counter</td><td>times a failed batch was offered again</td></tr>
 *   <tr><td>{@code cdc.dead.lettered}</td><td>function counter (events)</td><td>events handed to the dead-letter
 *       handler</td></tr>
 *   <tr><td>{@code cdc.reconnects}</td><td>function counter</td><td>reconnects after a lost connection</td></tr>
 *   <tr><td>{@code cdc.snapshot.rows}</td><td>function counter</td><td>rows delivered by the initial snapshot
 *       (events with op {@code read})</td></tr>
 *   <tr><td>{@code cdc.lag}</td><td>time gauge</td><td>commit-to-handler lag of the last event; NaN where the
 *       strategy does not know commit times, and before the first event</td></tr>
 *   <tr><td>{@code cdc.last.event.age}</td><td>time gauge</td><td>time since the last event was delivered; NaN
 *       before the first</td></tr>
 *   <tr><td>{@code cdc.handler.busy}</td><td>time gauge</td><td>how long the handler has held the batch it
 *       holds now; 0 when idle</td></tr>
 *   <tr><td>{@code cdc.connected}</td><td>gauge</td><td>1 while connected and reading, else 0</td></tr>
 *   <tr><td>{@code cdc.health}</td><td>gauge</td><td>1 UP, 0.5 DEGRADED, 0 DOWN</td></tr>
 *   <tr><td>{@code cdc.backlog.wal.retained}</td><td>gauge (bytes)</td><td>log: WAL the replication slot
 *       keeps</td></tr>
 *   <tr><td>{@code cdc.backlog.wal.flush.lag}</td><td>gauge (bytes)</td><td>log: WAL written since the slot's
 *       confirmed flush position</td></tr>
 *   <tr><td>{@code cdc.backlog.entries}</td><td>gauge</td><td>trigger: change-log entries not yet read</td></tr>
 *   <tr><td>{@code cdc.backlog.log.size}</td><td>gauge (bytes)</td><td>trigger: size of the change log</td></tr>
 *   <tr><td>{@code cdc.backlog.oldest.entry.age}</td><td>time gauge</td><td>trigger: age of the oldest change-log
 *       entry</td></tr>
 *   <tr><td>{@code cdc.backlog.watermark.age}</td><td>time gauge</td><td>timestamp: how far the read watermark is
 *       behind now</td></tr>
 * </table>
 *
 * <p>The backlog gauges are registered for every strategy and are NaN (no value) where the strategy does not
 * measure that field; the source measures its backlog at most every {@code cdc.metrics.backlog-interval}.
 *
 * <p>The registry holds the source (through these meters) until {@link #close()} removes them. A registry
 * that already has a meter of the same name and tags keeps the one it has, so remove the meters of a closed
 * source before binding a new source of the same {@code cdc.name} to the same registry.
 */
public final class ChangeSourceMetrics implements MeterBinder, AutoCloseable {

    private static final Duration CACHE_FOR = Duration.ofSeconds(1);

    private final Readings readings;
    private final Tags tags;
    private final List<TableId> tables;
    private final List<Registered> registered = new ArrayList<>();
    /** Registries bound to, and per registry the tables whose cdc.events counters it has. */
    private final java.util.Map<MeterRegistry, java.util.Set<TableId>> counted = new java.util.IdentityHashMap<>();

    /**
     * Meters of {@code source}, tagged {@code source} and {@code mode} from its configuration.
     *
     * @param source the source to observe; it may be bound before or after it is started
     */
    public ChangeSourceMetrics(ChangeSource source) {
        this(source, Tags.empty());
    }

    /**
     * Meters of {@code source}, tagged {@code source} and {@code mode} from its configuration and with
     * {@code extraTags} (e.g. the application or the tenant). {@code source} and {@code mode} are always the
     * configuration's, whatever {@code extraTags} holds.
     *
     * @param source    the source to observe; it may be bound before or after it is started
     * @param extraTags further tags for every meter
     */
    public ChangeSourceMetrics(ChangeSource source, Iterable<Tag> extraTags) {
        this(source, extraTags, CACHE_FOR, System::nanoTime);
    }

    ChangeSourceMetrics(ChangeSource source, Iterable<Tag> extraTags, Duration cacheFor, LongSupplier nanoClock) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(extraTags, "extraTags");
        CdcConfig config = source.config();
        this.readings = new Readings(source, cacheFor.toNanos(), nanoClock, this::countTables);
        this.tags = Tags.of(extraTags).and("source", config.name()).and("mode", config.mode());
        this.tables = List.copyOf(config.tables());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        List<Meter> meters = new ArrayList<>();
        synchronized (registered) {
            counted.put(registry, new java.util.HashSet<>());
        }
        countTables(tables);
        meters.add(counter(registry, "cdc.batches", "batches", "Batches the handler processed",
                SourceMetrics::batchesDelivered));
        meters.add(FunctionTimer.builder("cdc.handler", readings, r -> r.metrics().batchesDelivered(),
                        r -> r.metrics().handlerNanos(), TimeUnit.NANOSECONDS)
                .tags(tags).description("Time spent in the handler (attempts that threw included) over the batches "
                        + "it processed").register(registry));
        meters.add(counter(registry, "cdc.handler.failures", null, "Times the handler threw",
                SourceMetrics::handlerFailures));
        meters.add(counter(registry, "cdc.retries", null, "Times a failed batch was offered to the handler again",
                SourceMetrics::retries));
        meters.add(counter(registry, "cdc.dead.lettered", "events", "Events handed to the dead-letter handler",
                SourceMetrics::deadLettered));
        meters.add(counter(registry, "cdc.reconnects", null, "Reconnects after a lost connection",
                SourceMetrics::reconnects));
        meters.add(counter(registry, "cdc.snapshot.rows", "rows", "Rows delivered by the initial snapshot (op read)",
                ChangeSourceMetrics::snapshotRows));

        meters.add(snapshotGauge(registry, "cdc.snapshot.chunks", "chunks", "Chunks the running snapshot delivered; "
                + "no value when none runs", st -> st.chunks()));
        meters.add(snapshotGauge(registry, "cdc.snapshot.tables.left", null, "Tables the running snapshot has "
                + "still to read, the current one included; no value when none runs", st -> st.tablesLeft()));
        meters.add(snapshotGauge(registry, "cdc.snapshot.estimated.rows", "rows", "Rows the running snapshot is "
                + "estimated to read in all; no value when none runs or unknown",
                st -> st.estimatedRows() < 0 ? Double.NaN : st.estimatedRows()));

        meters.add(timeGauge(registry, "cdc.lag", "Commit-to-handler lag of the last event; no value where the "
                + "strategy does not know commit times", m -> orNaN(m.lagMs())));
        meters.add(timeGauge(registry, "cdc.last.event.age", "Time since the last event was delivered; no value "
                + "before the first", m -> orNaN(m.msSinceLastEvent())));
        meters.add(timeGauge(registry, "cdc.handler.busy", "How long the handler has been busy with the batch it "
                + "holds; 0 when idle", m -> Math.max(0, m.handlerBusyMs())));
        meters.add(gauge(registry, "cdc.connected", null, "1 while the source is connected and reading, else 0",
                m -> m.connected() ? 1 : 0));
        meters.add(Gauge.builder("cdc.health", readings, r -> healthValue(r.health().status()))
                .tags(tags).strongReference(true).description("Health of the source: 1 UP, 0.5 DEGRADED, 0 DOWN")
                .register(registry));

        meters.add(gauge(registry, "cdc.backlog.wal.retained", BaseUnits.BYTES, "Log: WAL the replication slot keeps "
                + "on the server", m -> orNaN(backlog(m).walRetainedBytes())));
        meters.add(gauge(registry, "cdc.backlog.wal.flush.lag", BaseUnits.BYTES, "Log: WAL written since the slot's "
                + "confirmed flush position, not yet handled", m -> orNaN(backlog(m).walFlushLagBytes())));
        meters.add(gauge(registry, "cdc.backlog.entries", "entries", "Trigger: change-log entries not yet read",
                m -> orNaN(backlog(m).pendingEntries())));
        meters.add(gauge(registry, "cdc.backlog.log.size", BaseUnits.BYTES, "Trigger: size of the change log on disk",
                m -> orNaN(backlog(m).logSizeBytes())));
        meters.add(timeGauge(registry, "cdc.backlog.oldest.entry.age", "Trigger: age of the oldest entry in the "
                + "change log", m -> orNaN(backlog(m).oldestEntryAgeMs())));
        meters.add(timeGauge(registry, "cdc.backlog.watermark.age", "Timestamp: how far the read watermark is "
                + "behind now", m -> orNaN(backlog(m).watermarkAgeMs())));
        synchronized (registered) {
            for (Meter m : meters) {
                registered.add(new Registered(registry, m));
            }
        }
    }

    /**
     * Registers the {@code cdc.events} counters of {@code seen} in every bound registry that lacks them: the
     * configured tables at bind time, and tables the source captures by pattern ({@code cdc.tables.include})
     * as their first events arrive.
     */
    private void countTables(java.util.Collection<TableId> seen) {
        synchronized (registered) {
            for (var entry : counted.entrySet()) {
                MeterRegistry registry = entry.getKey();
                for (TableId table : seen) {
                    if (!entry.getValue().add(table)) {
                        continue;
                    }
                    for (Op op : Op.values()) {
                        Meter m = FunctionCounter.builder("cdc.events", readings, r -> r.metrics().events(table, op))
                                .tags(tags).tag("table", table.toString()).tag("op", op.name().toLowerCase(Locale.ROOT))
                                .baseUnit("events").description("Events the handler processed, per table and operation")
                                .register(registry);
                        registered.add(new Registered(registry, m));
                    }
                }
            }
        }
    }

    /**
     * Removes the meters this binder registered from every registry it was bound to. Idempotent; the source
     * is not touched.
     */
    @Override
    public void close() {
        List<Registered> meters;
        synchronized (registered) {
            meters = List.copyOf(registered);
            registered.clear();
            counted.clear();
        }
        for (Registered r : meters) {
            r.registry().remove(r.meter());
        }
    }

    private Meter counter(MeterRegistry registry, String name, String unit, String description,
                          ToDoubleFunction<SourceMetrics> value) {
        FunctionCounter.Builder<Readings> b = FunctionCounter.builder(name, readings,
                r -> value.applyAsDouble(r.metrics())).tags(tags).description(description);
        if (unit != null) {
            b.baseUnit(unit);
        }
        return b.register(registry);
    }

    private Meter gauge(MeterRegistry registry, String name, String unit, String description,
                        ToDoubleFunction<SourceMetrics> value) {
        // held strongly: the binder need not be kept by the application for its meters to read
        Gauge.Builder<Readings> b = Gauge.builder(name, readings, r -> value.applyAsDouble(r.metrics()))
                .tags(tags).strongReference(true).description(description);
        if (unit != null) {
            b.baseUnit(unit);
        }
        return b.register(registry);
    }

    private Meter snapshotGauge(MeterRegistry registry, String name, String unit, String description,
                                ToDoubleFunction<SnapshotStatus> value) {
        return Gauge.builder(name, readings, r -> {
                    SnapshotStatus st = r.status().snapshot();
                    return st == null ? Double.NaN : value.applyAsDouble(st);
                }).tags(tags).strongReference(true).baseUnit(unit).description(description).register(registry);
    }

    private Meter timeGauge(MeterRegistry registry, String name, String description,
                            ToDoubleFunction<SourceMetrics> millis) {
        return TimeGauge.builder(name, readings, TimeUnit.MILLISECONDS, r -> millis.applyAsDouble(r.metrics()))
                .tags(tags).strongReference(true).description(description).register(registry);
    }

    private static double snapshotRows(SourceMetrics m) {
        long rows = 0;
        for (var ops : m.eventsByTable().values()) {
            rows += ops.getOrDefault(Op.READ, 0L);
        }
        return rows;
    }

    private static Backlog backlog(SourceMetrics m) {
        return m.backlog() == null ? Backlog.UNKNOWN : m.backlog();
    }

    /** 1 UP, 0.5 DEGRADED, 0 DOWN. */
    private static double healthValue(SourceHealth.Status status) {
        return switch (status) {
            case UP -> 1.0;
            case DEGRADED -> 0.5;
            case DOWN -> 0.0;
        };
    }

    /** {@code value}, or NaN when it is negative (the API's "unknown"). */
    private static double orNaN(long value) {
        return value < 0 ? Double.NaN : value;
    }

    /** {@code value}, or NaN when the strategy does not know it. */
    private static double orNaN(Long value) {
        return value == null || value < 0 ? Double.NaN : value;
    }

    private record Registered(MeterRegistry registry, Meter meter) {
    }

    /**
     * The source's metrics and health, each read at most once per {@code cacheNanos}: a scrape reads every
     * meter, and each would otherwise call the source.
     */
    static final class Readings {

        private final ChangeSource source;
        private final long cacheNanos;
        private final LongSupplier nanoClock;
        private final java.util.function.Consumer<java.util.Set<TableId>> tablesSeen;
        private final Object lock = new Object();
        private SourceMetrics metrics;
        private long metricsAt;
        private SourceHealth health;
        private long healthAt;
        private SourceStatus status;
        private long statusAt;

        Readings(ChangeSource source, long cacheNanos, LongSupplier nanoClock,
                 java.util.function.Consumer<java.util.Set<TableId>> tablesSeen) {
            this.source = source;
            this.cacheNanos = cacheNanos;
            this.nanoClock = nanoClock;
            this.tablesSeen = tablesSeen;
        }

        /** The metrics; a fresh reading also tells which tables had events, so new ones get counters. */
        SourceMetrics metrics() {
            SourceMetrics m;
            boolean fresh = false;
            synchronized (lock) {
                long now = nanoClock.getAsLong();
                if (metrics == null || now - metricsAt >= cacheNanos) {
                    metrics = source.metrics();
                    metricsAt = now;
                    fresh = true;
                }
                m = metrics;
            }
            if (fresh) {
                tablesSeen.accept(m.eventsByTable().keySet());
            }
            return m;
        }

        SourceStatus status() {
            synchronized (lock) {
                long now = nanoClock.getAsLong();
                if (status == null || now - statusAt >= cacheNanos) {
                    status = source.status();
                    statusAt = now;
                }
                return status;
            }
        }

        SourceHealth health() {
            synchronized (lock) {
                long now = nanoClock.getAsLong();
                if (health == null || now - healthAt >= cacheNanos) {
                    health = source.health();
                    healthAt = now;
                }
                return health;
            }
        }
    }
}
