package io.cdckit.micrometer;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A running source of every strategy, bound to a simple and a Prometheus registry: each meter moves as the
 * source snapshots, streams inserts, updates and deletes, fails once in its handler, dead-letters and
 * reconnects; the Prometheus names are those the Grafana dashboard queries.
 */
@PostgresTest
class SourceMetersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<String> BACKLOG = List.of("cdc.backlog.wal.retained", "cdc.backlog.wal.flush.lag",
            "cdc.backlog.entries", "cdc.backlog.log.size", "cdc.backlog.oldest.entry.age",
            "cdc.backlog.watermark.age");
    /** The backlog gauges each strategy may give a value; the others stay NaN. */
    private static final Map<Strategy, Set<String>> BACKLOG_OF = Map.of(
            Strategy.LOG, Set.of("cdc.backlog.wal.retained", "cdc.backlog.wal.flush.lag"),
            Strategy.TRIGGER, Set.of("cdc.backlog.entries", "cdc.backlog.log.size", "cdc.backlog.oldest.entry.age"),
            Strategy.TIMESTAMP, Set.of("cdc.backlog.watermark.age"));

    private TestDatabase db;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final SimpleMeterRegistry simple = new SimpleMeterRegistry();
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<ChangeEvent> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp(TestDatabase database) {
        this.db = database;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        prometheus.close();
        simple.close();
    }

    private Map<String, String> properties(Strategy strategy, String name, TableId... tables) {
        Map<String, String> p = new LinkedHashMap<>(strategy.properties);
        p.putAll(db.cdcProperties());
        p.put("cdc.name", name);
        p.put("cdc.tables", String.join(",", java.util.Arrays.stream(tables).map(TableId::toString).toList()));
        p.put("cdc.snapshot.mode", "initial");
        p.put("cdc.poll.interval", "20ms");
        p.put("cdc.offset.store", "memory");
        p.put("cdc.metrics.backlog-interval", "0ms");
        p.put("cdc.errors.retry.initial-delay", "10ms");
        p.put("cdc.reconnect.initial-delay", "50ms");
        p.put("cdc.reconnect.max-delay", "200ms");
        return p;
    }

    private void createTables(TableId... tables) {
        for (TableId t : tables) {
            db.execute("DROP TABLE IF EXISTS " + t.quoted(), "CREATE TABLE " + t.quoted()
                    + " (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        }
    }

    private double events(TableId table, Op op) {
        return simple.get("cdc.events").tags("table", table.toString(), "op", op.name().toLowerCase())
                .functionCounter().count();
    }

    private double counter(String name) {
        return simple.get(name).functionCounter().count();
    }

    private double gauge(String name) {
        return simple.get(name).gauge().value();
    }

    private double millis(String name) {
        return simple.get(name).timeGauge().value(TimeUnit.MILLISECONDS);
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void everyMeterMovesAsTheSourceWorks(Strategy strategy) throws IOException {
        String mode = strategy.mode();
        TableId items = new TableId("public", mode + "_items");
        TableId notes = new TableId("public", mode + "_notes");
        createTables(items, notes);
        db.execute("INSERT INTO " + items.quoted() + " (id, name) SELECT g, 'row ' || g FROM generate_series(1, 3) g");
        String name = "meters_" + mode;
        ChangeSource source = ChangeSources.create(CdcConfig.from(properties(strategy, name, items, notes)));
        closeables.add(source);
        ChangeSourceMetrics binder = new ChangeSourceMetrics(source);
        binder.bindTo(simple);
        binder.bindTo(prometheus);

        // bound before start: every meter is there, nothing has moved
        assertThat(simple.find("cdc.events").functionCounters()).as("a counter per table and op")
                .hasSize(2 * Op.values().length);
        assertThat(counter("cdc.batches")).isZero();
        assertThat(millis("cdc.last.event.age")).as("no event yet").isNaN();
        assertThat(gauge("cdc.connected")).isZero();
        assertThat(gauge("cdc.health")).as("not started: DOWN").isZero();

        AtomicBoolean failed = new AtomicBoolean();
        source.start(batch -> {
            if (batch.stream().anyMatch(e -> e.op() == Op.CREATE) && failed.compareAndSet(false, true)) {
                throw new IllegalStateException("the handler fails once");
            }
            received.addAll(batch);
        });

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(counter("cdc.snapshot.rows")).as("snapshot rows").isEqualTo(3);
            assertThat(events(items, Op.READ)).isEqualTo(3);
        });
        assertThat(events(notes, Op.READ)).isZero();
        assertThat(counter("cdc.batches")).isGreaterThanOrEqualTo(1);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("cdc.connected")).as("connected").isEqualTo(1);
            assertThat(gauge("cdc.health")).as("UP").isEqualTo(1.0);
        });

        db.execute("INSERT INTO " + items.quoted() + " (id, name) VALUES (10, 'ten'), (11, 'eleven')",
                "UPDATE " + items.quoted() + " SET name = 'one', updated_at = clock_timestamp() WHERE id = 1",
                "DELETE FROM " + items.quoted() + " WHERE id = 2",
                "INSERT INTO " + notes.quoted() + " (id, name) VALUES (1, 'note')");

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(events(items, Op.CREATE)).as("inserts").isEqualTo(2);
            assertThat(events(items, Op.UPDATE)).as("updates").isEqualTo(1);
            assertThat(events(items, Op.DELETE)).as("deletes").isEqualTo(1);
            assertThat(events(notes, Op.CREATE)).as("inserts into the other table").isEqualTo(1);
        });
        assertThat(events(items, Op.TRUNCATE)).isZero();
        assertThat(events(notes, Op.UPDATE)).isZero();
        assertThat(counter("cdc.snapshot.rows")).as("streamed changes are no snapshot rows").isEqualTo(3);
        assertThat(counter("cdc.handler.failures")).as("handler failures").isEqualTo(1);
        assertThat(counter("cdc.retries")).as("retries").isEqualTo(1);
        assertThat(counter("cdc.dead.lettered")).isZero();
        assertThat(counter("cdc.reconnects")).isZero();

        // idle now: counts are stable, so batches and the timer's count can be compared
        long delivered = received.size();
        assertThat(delivered).isEqualTo(8);
        assertThat(counter("cdc.batches")).as("batches").isBetween(2.0, 8.0);
        var timer = simple.get("cdc.handler").functionTimer();
        assertThat(timer.count()).as("handler timer counts batches").isEqualTo(counter("cdc.batches"));
        assertThat(timer.totalTime(TimeUnit.NANOSECONDS)).as("time in the handler").isPositive();

        double age = millis("cdc.last.event.age");
        assertThat(age).as("time since the last event").isNotNaN().isGreaterThanOrEqualTo(0);
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(millis("cdc.last.event.age")).as("grows while idle").isGreaterThan(age));
        assertThat(millis("cdc.handler.busy")).as("idle handler").isZero();
        assertThat(gauge("cdc.connected")).isEqualTo(1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(gauge("cdc.health")).as("UP again").isEqualTo(1.0));

        double lag = millis("cdc.lag");
        switch (strategy) {
            case LOG -> assertThat(lag).as("log: commit times known").isNotNaN().isGreaterThanOrEqualTo(0);
            case TRIGGER -> {
                if (db.queryForString("SHOW track_commit_timestamp").equals("on")) {
                    assertThat(lag).as("trigger with commit timestamps").isNotNaN().isGreaterThanOrEqualTo(0);
                } else {
                    assertThat(lag).as("trigger without commit timestamps").isNaN();
                }
            }
            case TIMESTAMP -> assertThat(lag).as("timestamp: commit times unknown").isNaN();
            default -> throw new IllegalStateException(strategy.name());
        }

        for (String backlog : BACKLOG) {
            double value = gauge(backlog);
            if (BACKLOG_OF.get(strategy).contains(backlog)) {
                assertThat(Double.isNaN(value) || value >= 0).as("%s is NaN or a size: %s", backlog, value).isTrue();
            } else {
                assertThat(value).as("%s is not measured by %s", backlog, mode).isNaN();
            }
        }

        Scrape scrape = Scrape.parse(prometheus.scrape());
        Map<String, String> ours = Map.of("source", name, "mode", mode);
        assertThat(scrape.value("cdc_events_total", Map.of("source", name, "mode", mode,
                "table", items.toString(), "op", "create"))).isEqualTo(2);
        assertThat(scrape.value("cdc_events_total", Map.of("source", name, "mode", mode,
                "table", notes.toString(), "op", "create"))).isEqualTo(1);
        assertThat(scrape.value("cdc_snapshot_rows_total", ours)).isEqualTo(3);
        assertThat(scrape.value("cdc_handler_seconds_count", ours)).isEqualTo(counter("cdc.batches"));
        assertThat(scrape.value("cdc_handler_seconds_sum", ours)).isPositive();
        assertThat(scrape.value("cdc_handler_failures_total", ours)).isEqualTo(1);
        assertThat(scrape.value("cdc_retries_total", ours)).isEqualTo(1);
        assertThat(scrape.value("cdc_health", ours)).isEqualTo(1);
        assertThat(scrape.value("cdc_connected", ours)).isEqualTo(1);
        assertThat(scrape.value("cdc_last_event_age_seconds", ours)).isGreaterThanOrEqualTo(0);
        assertThat(scrape.names()).as("every name the dashboard queries").containsAll(dashboardMetricNames());

        source.close();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("cdc.health")).as("closed: DOWN").isZero();
            assertThat(gauge("cdc.connected")).as("closed: disconnected").isZero();
        });
        assertThat(counter("cdc.batches")).as("counts stay after close").isGreaterThanOrEqualTo(2);

        binder.close();
        assertThat(simple.find("cdc.events").meters()).as("removed by close").isEmpty();
        assertThat(prometheus.getMeters()).as("removed by close").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void snapshotAndBacklogGaugesShowWhatWaitsWhileTheHandlerIsBusy(Strategy strategy) throws Exception {
        String mode = strategy.mode();
        TableId table = new TableId("public", mode + "_waiting");
        createTables(table);
        db.execute("INSERT INTO " + table.quoted() + " (id, name) SELECT g, 'row ' || g FROM generate_series(1, 100) g",
                "ANALYZE " + table.quoted());
        Map<String, String> p = properties(strategy, "waiting_" + mode, table);
        p.put("cdc.snapshot.chunk-size", "10");
        p.put("cdc.batch.max-size", "10");
        ChangeSource source = ChangeSources.create(CdcConfig.from(p));
        closeables.add(source);
        ChangeSourceMetrics binder = new ChangeSourceMetrics(source);
        closeables.add(binder);
        binder.bindTo(simple);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        source.start(batch -> {
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not released");
            }
            received.addAll(batch);
        });

        // the handler holds the snapshot's first batch: the snapshot runs, the handler is busy
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(millis("cdc.handler.busy")).as("busy handler").isPositive();
            assertThat(gauge("cdc.snapshot.tables.left")).as("tables left").isEqualTo(1);
            assertThat(gauge("cdc.snapshot.chunks")).as("chunks delivered").isGreaterThanOrEqualTo(0);
            assertThat(gauge("cdc.snapshot.estimated.rows")).as("rows estimated, the table counted once")
                    .isEqualTo(100);
        });
        for (int i = 0; i < 20; i++) {
            db.execute("INSERT INTO " + table.quoted() + " (id, name) VALUES (" + (1000 + i) + ", 'waiting')");
        }
        await().atMost(WAIT).untilAsserted(() -> {
            switch (strategy) {
                case LOG -> {
                    assertThat(gauge("cdc.backlog.wal.retained")).as("WAL retained").isPositive();
                    assertThat(gauge("cdc.backlog.wal.flush.lag")).as("WAL not confirmed").isPositive();
                }
                case TRIGGER -> {
                    assertThat(gauge("cdc.backlog.entries")).as("entries waiting").isGreaterThanOrEqualTo(20);
                    assertThat(gauge("cdc.backlog.log.size")).as("change log size").isPositive();
                    assertThat(millis("cdc.backlog.oldest.entry.age")).as("oldest entry's age").isPositive();
                }
                case TIMESTAMP -> assertThat(millis("cdc.backlog.watermark.age")).as("watermark age").isPositive();
                default -> throw new IllegalStateException(strategy.name());
            }
        });
        release.countDown();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(received.stream().filter(e -> e.op() == Op.READ).count()).as("snapshot rows").isEqualTo(100);
            assertThat(received.stream().filter(e -> e.op() == Op.CREATE).count()).as("inserts").isEqualTo(20);
            assertThat(gauge("cdc.snapshot.tables.left")).as("no snapshot runs").isNaN();
        });
        if (strategy == Strategy.TRIGGER) {
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(gauge("cdc.backlog.entries")).as("nothing waits").isZero());
        }
    }

    @Test
    void deadLetteredEventsAndReconnectsAreCounted() {
        TableId table = new TableId("public", "dead_items");
        createTables(table);
        String name = "meters_dead";
        Map<String, String> p = properties(Strategy.TRIGGER, name, table);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.errors.tolerance", "all");
        p.put("cdc.errors.max-retries", "0");
        ChangeSource source = ChangeSources.create(CdcConfig.from(p));
        closeables.add(source);
        ChangeSourceMetrics binder = new ChangeSourceMetrics(source);
        closeables.add(binder);
        binder.bindTo(simple);
        source.start(batch -> {
            if (batch.stream().anyMatch(e -> e.key().get("id").equals(1))) {
                throw new IllegalStateException("this batch goes to the dead letters");
            }
            received.addAll(batch);
        });

        db.execute("INSERT INTO " + table.quoted() + " (id, name) VALUES (1, 'one')");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(counter("cdc.dead.lettered")).as("dead-lettered events").isEqualTo(1);
            assertThat(counter("cdc.handler.failures")).isEqualTo(1);
        });
        assertThat(counter("cdc.retries")).as("no retries allowed").isZero();
        assertThat(events(table, Op.CREATE)).as("a dead-lettered event was not processed").isZero();

        db.execute("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity"
                + " WHERE application_name = 'cdckit:" + name + "'");
        db.execute("INSERT INTO " + table.quoted() + " (id, name) VALUES (2, 'two')");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(counter("cdc.reconnects")).as("reconnects").isGreaterThanOrEqualTo(1);
            assertThat(events(table, Op.CREATE)).as("delivered after reconnecting").isEqualTo(1);
            assertThat(gauge("cdc.connected")).isEqualTo(1);
        });
    }

    /** The Prometheus sample names the Grafana dashboard's queries use. */
    private static Set<String> dashboardMetricNames() throws IOException {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        String json = Files.readString(base.resolve("../docs/grafana/cdckit-dashboard.json"));
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\bcdc_[a-z_]+").matcher(json);
        while (m.find()) {
            names.add(m.group());
        }
        assertThat(names).as("metric names in the dashboard").hasSizeGreaterThan(10);
        return names;
    }
}
