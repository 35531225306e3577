package io.cdckit.micrometer;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.Op;
import io.cdckit.api.SourceHealth;
import io.cdckit.api.SourceMetrics;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The binder against a source whose metrics and health the test sets: names, tags and types of every
 * meter, the value mapping (unknown as NaN, health as 1 / 0.5 / 0), the cache, and removal.
 */
class ChangeSourceMetricsTest {

    private static final TableId ORDERS = new TableId("public", "orders");
    private static final TableId LINES = new TableId("Shop", "order lines");

    private final FakeSource source = new FakeSource();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final MeterRegistry registry = new SimpleMeterRegistry();

    private ChangeSourceMetrics bind() {
        ChangeSourceMetrics binder = new ChangeSourceMetrics(source.source(), Tags.of("app", "shop"),
                Duration.ofSeconds(1), clock::get);
        binder.bindTo(registry);
        return binder;
    }

    /** Moves the test clock past the cache. */
    private void tick() {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void registersEveryMeterWithTheSourceAndModeTags() {
        bind();
        List<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).distinct().sorted().toList();
        assertThat(names).containsExactly("cdc.backlog.entries", "cdc.backlog.log.size",
                "cdc.backlog.oldest.entry.age", "cdc.backlog.wal.flush.lag", "cdc.backlog.wal.retained",
                "cdc.backlog.watermark.age", "cdc.batches", "cdc.connected", "cdc.dead.lettered", "cdc.events",
                "cdc.handler", "cdc.handler.busy", "cdc.handler.failures", "cdc.health", "cdc.lag",
                "cdc.last.event.age", "cdc.reconnects", "cdc.retries", "cdc.snapshot.chunks",
                "cdc.snapshot.estimated.rows", "cdc.snapshot.rows", "cdc.snapshot.tables.left");
        for (Meter m : registry.getMeters()) {
            assertThat(m.getId().getTag("source")).as("source tag of %s", m.getId()).isEqualTo("orders-cdc");
            assertThat(m.getId().getTag("mode")).as("mode tag of %s", m.getId()).isEqualTo("trigger");
            assertThat(m.getId().getTag("app")).as("extra tag of %s", m.getId()).isEqualTo("shop");
            boolean events = m.getId().getName().equals("cdc.events");
            assertThat(m.getId().getTag("table") != null).as("table tag of %s", m.getId()).isEqualTo(events);
            assertThat(m.getId().getTag("op") != null).as("op tag of %s", m.getId()).isEqualTo(events);
        }
        assertThat(registry.find("cdc.events").functionCounters()).hasSize(2 * Op.values().length);
        assertThat(registry.find("cdc.events").functionCounters())
                .extracting(c -> c.getId().getTag("table") + " " + c.getId().getTag("op"))
                .contains("public.orders create", "public.orders truncate", "\"Shop\".\"order lines\" read");
        assertThat(registry.get("cdc.handler").functionTimer()).isNotNull();
        assertThat(registry.get("cdc.lag").timeGauge()).isNotNull();
        assertThat(registry.get("cdc.backlog.wal.retained").gauge().getId().getBaseUnit()).isEqualTo("bytes");
        assertThat(registry.get("cdc.backlog.log.size").gauge().getId().getBaseUnit()).isEqualTo("bytes");
    }

    @Test
    void extraTagsCannotReplaceSourceOrMode() {
        new ChangeSourceMetrics(source.source(), List.of(Tag.of("source", "other"), Tag.of("mode", "x")))
                .bindTo(registry);
        assertThat(registry.get("cdc.batches").functionCounter().getId().getTags())
                .containsExactlyInAnyOrder(Tag.of("source", "orders-cdc"), Tag.of("mode", "trigger"));
    }

    @Test
    void beforeAnythingHappenedCountersAreZeroAndUnknownsHaveNoValue() {
        bind();
        assertThat(registry.get("cdc.events").tags("table", "public.orders", "op", "create").functionCounter().count())
                .isZero();
        assertThat(registry.get("cdc.batches").functionCounter().count()).isZero();
        assertThat(registry.get("cdc.handler").functionTimer().count()).isZero();
        assertThat(registry.get("cdc.lag").timeGauge().value()).isNaN();
        assertThat(registry.get("cdc.last.event.age").timeGauge().value()).isNaN();
        assertThat(registry.get("cdc.handler.busy").timeGauge().value()).isZero();
        assertThat(registry.get("cdc.connected").gauge().value()).isZero();
        assertThat(registry.get("cdc.health").gauge().value()).isZero();
        for (String backlog : List.of("cdc.backlog.wal.retained", "cdc.backlog.wal.flush.lag", "cdc.backlog.entries",
                "cdc.backlog.log.size", "cdc.backlog.oldest.entry.age", "cdc.backlog.watermark.age")) {
            assertThat(registry.get(backlog).gauge().value()).as(backlog).isNaN();
        }
    }

    @Test
    void readsEveryFieldOfTheMetrics() {
        bind();
        source.metrics = metrics(Map.of(ORDERS, Map.of(Op.CREATE, 5L, Op.UPDATE, 2L, Op.READ, 7L),
                LINES, Map.of(Op.READ, 3L, Op.DELETE, 1L)), 4, 1_500_000_000L, 250, 1500, 40, true,
                new Backlog(Instant.now(), 4096L, 512L, 17L, 8192L, 60_000L, 2_500L, List.of()));
        source.health = new SourceHealth(SourceHealth.Status.UP, Map.of());
        tick();

        assertThat(registry.get("cdc.events").tags("table", "public.orders", "op", "create").functionCounter().count())
                .isEqualTo(5);
        assertThat(registry.get("cdc.events").tags("table", "public.orders", "op", "update").functionCounter().count())
                .isEqualTo(2);
        assertThat(registry.get("cdc.events").tags("table", "\"Shop\".\"order lines\"", "op", "delete")
                .functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("cdc.events").tags("table", "\"Shop\".\"order lines\"", "op", "update")
                .functionCounter().count()).isZero();
        assertThat(registry.get("cdc.snapshot.rows").functionCounter().count()).isEqualTo(10);
        assertThat(registry.get("cdc.batches").functionCounter().count()).isEqualTo(4);
        assertThat(registry.get("cdc.handler").functionTimer().count()).isEqualTo(4);
        assertThat(registry.get("cdc.handler").functionTimer().totalTime(TimeUnit.MILLISECONDS))
                .isCloseTo(1500, within(1e-6));
        assertThat(registry.get("cdc.handler").functionTimer().mean(TimeUnit.MILLISECONDS))
                .isCloseTo(375, within(1e-6));
        assertThat(registry.get("cdc.handler.failures").functionCounter().count()).isEqualTo(3);
        assertThat(registry.get("cdc.retries").functionCounter().count()).isEqualTo(2);
        assertThat(registry.get("cdc.dead.lettered").functionCounter().count()).isEqualTo(6);
        assertThat(registry.get("cdc.reconnects").functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("cdc.lag").timeGauge().value(TimeUnit.MILLISECONDS)).isCloseTo(250, within(1e-6));
        assertThat(registry.get("cdc.last.event.age").timeGauge().value(TimeUnit.MILLISECONDS))
                .isCloseTo(1500, within(1e-6));
        assertThat(registry.get("cdc.handler.busy").timeGauge().value(TimeUnit.MILLISECONDS))
                .isCloseTo(40, within(1e-6));
        assertThat(registry.get("cdc.connected").gauge().value()).isEqualTo(1);
        assertThat(registry.get("cdc.health").gauge().value()).isEqualTo(1);
        assertThat(registry.get("cdc.backlog.wal.retained").gauge().value()).isEqualTo(4096);
        assertThat(registry.get("cdc.backlog.wal.flush.lag").gauge().value()).isEqualTo(512);
        assertThat(registry.get("cdc.backlog.entries").gauge().value()).isEqualTo(17);
        assertThat(registry.get("cdc.backlog.log.size").gauge().value()).isEqualTo(8192);
        assertThat(registry.get("cdc.backlog.oldest.entry.age").timeGauge().value(TimeUnit.SECONDS))
                .isCloseTo(60, within(1e-6));
        assertThat(registry.get("cdc.backlog.watermark.age").timeGauge().value(TimeUnit.MILLISECONDS))
                .isCloseTo(2500, within(1e-6));
    }

    @Test
    void healthIsOneHalfOrZero() {
        bind();
        source.health = new SourceHealth(SourceHealth.Status.DEGRADED, Map.of());
        tick();
        assertThat(registry.get("cdc.health").gauge().value()).isEqualTo(0.5);
        source.health = new SourceHealth(SourceHealth.Status.UP, Map.of());
        tick();
        assertThat(registry.get("cdc.health").gauge().value()).isEqualTo(1.0);
        source.health = new SourceHealth(SourceHealth.Status.DOWN, Map.of());
        tick();
        assertThat(registry.get("cdc.health").gauge().value()).isEqualTo(0.0);
    }

    @Test
    void oneScrapeCallsMetricsAndHealthOnce() {
        bind();
        source.metricsCalls.set(0);
        source.healthCalls.set(0);
        tick();
        scrape();
        assertThat(source.metricsCalls).as("metrics() calls in one scrape").hasValue(1);
        assertThat(source.healthCalls).as("health() calls in one scrape").hasValue(1);

        source.metrics = metrics(Map.of(ORDERS, Map.of(Op.CREATE, 9L)), 1, 0, -1, 0, -1, true, Backlog.UNKNOWN);
        scrape();
        assertThat(source.metricsCalls).as("within the cache time").hasValue(1);
        assertThat(registry.get("cdc.batches").functionCounter().count()).as("cached value").isZero();

        tick();
        scrape();
        assertThat(source.metricsCalls).as("after the cache time").hasValue(2);
        assertThat(registry.get("cdc.batches").functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("cdc.events").tags("table", "public.orders", "op", "create").functionCounter().count())
                .isEqualTo(9);
    }

    @Test
    void closeRemovesTheMetersSoANewSourceOfTheSameNameCanBeBound() {
        ChangeSourceMetrics first = bind();
        assertThat(registry.getMeters()).isNotEmpty();
        first.close();
        first.close();
        assertThat(registry.getMeters()).isEmpty();

        FakeSource second = new FakeSource();
        second.metrics = metrics(Map.of(), 42, 0, -1, 0, -1, true, Backlog.UNKNOWN);
        new ChangeSourceMetrics(second.source()).bindTo(registry);
        assertThat(registry.get("cdc.batches").functionCounter().count()).isEqualTo(42);
    }

    @Test
    void theMetersKeepReadingWhenTheApplicationDropsTheBinder() {
        new ChangeSourceMetrics(source.source(), Tags.empty(), Duration.ZERO, System::nanoTime).bindTo(registry);
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        source.metrics = metrics(Map.of(ORDERS, Map.of(Op.CREATE, 3L)), 2, 0, -1, 0, -1, true, Backlog.UNKNOWN);
        assertThat(registry.get("cdc.batches").functionCounter().count()).isEqualTo(2);
        assertThat(registry.get("cdc.events").tags("op", "create", "table", "public.orders").functionCounter().count())
                .isEqualTo(3);
        assertThat(registry.get("cdc.connected").gauge().value()).isEqualTo(1);
    }

    @Test
    void tablesCapturedByPatternGetTheirCountersWithTheirFirstEvents() {
        bind();
        TableId later = new TableId("sales", "created_later");
        assertThat(registry.find("cdc.events").tag("table", "sales.created_later").functionCounters()).isEmpty();
        source.metrics = metrics(Map.of(later, Map.of(Op.CREATE, 5L)), 1, 0, -1, 0, -1, true, Backlog.UNKNOWN);
        tick();
        scrape();
        assertThat(registry.find("cdc.events").tag("table", "sales.created_later").functionCounters())
                .hasSize(Op.values().length);
        assertThat(registry.get("cdc.events").tags("op", "create", "table", "sales.created_later").functionCounter()
                .count()).isEqualTo(5);
    }

    /** Reads every meter, as a registry's publication does. */
    private void scrape() {
        for (Meter m : registry.getMeters()) {
            m.measure().forEach(ms -> ms.getValue());
        }
    }

    private static SourceMetrics metrics(Map<TableId, Map<Op, Long>> byTable, long batches, long handlerNanos,
                                         long lagMs, long msSinceLast, long busyMs, boolean connected,
                                         Backlog backlog) {
        long events = byTable.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
        Map<TableId, Map<Op, Long>> copy = new java.util.LinkedHashMap<>();
        byTable.forEach((t, ops) -> copy.put(t, new EnumMap<>(ops)));
        return new SourceMetrics(events, batches, Instant.now(), msSinceLast, 3, 2, 6, 1, lagMs, copy, handlerNanos,
                busyMs, connected, backlog);
    }

    /**
     * A source whose metrics and health the test sets; counts how often they are read. A proxy, so that it
     * answers what the binder calls whatever else the interface declares.
     */
    private static final class FakeSource {

        final AtomicInteger metricsCalls = new AtomicInteger();
        final AtomicInteger healthCalls = new AtomicInteger();
        volatile SourceMetrics metrics = new SourceMetrics(0, 0, null, -1, 0, 0, 0, 0, -1, Map.of(), 0, -1, false,
                Backlog.UNKNOWN);
        volatile SourceHealth health = new SourceHealth(SourceHealth.Status.DOWN, Map.of());
        private final CdcConfig config = CdcConfig.builder().mode("trigger").name("orders-cdc")
                .tables(ORDERS, LINES).build();

        ChangeSource source() {
            return (ChangeSource) Proxy.newProxyInstance(ChangeSource.class.getClassLoader(),
                    new Class<?>[] {ChangeSource.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "metrics" -> {
                            metricsCalls.incrementAndGet();
                            yield metrics;
                        }
                        case "health" -> {
                            healthCalls.incrementAndGet();
                            yield health;
                        }
                        case "config" -> config;
                        case "status" -> SourceStatus.of(SourceStatus.State.CREATED);
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "FakeSource";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }
}
