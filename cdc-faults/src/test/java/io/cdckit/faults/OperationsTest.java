package io.cdckit.faults;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.SourceHealth;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an operator sees of a running source of each strategy: {@code health()} UP while it keeps
 * up, DEGRADED while the handler stalls and the backlog in the database grows (each strategy
 * measuring its own), UP again once the handler returns, DOWN with the failure when the source
 * failed; the JMX MBean's attributes, read through the platform MBean server, following along
 * and gone after close.
 */
@PostgresTest
class OperationsTest {

    private static final TableId TABLE = new TableId("public", "ops_items");
    private static final Duration WAIT = Duration.ofSeconds(60);

    private TestDatabase db;
    private final List<ChangeSource> sources = new ArrayList<>();
    private final List<ChangeEvent> received = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stall = new AtomicBoolean();
    private final AtomicBoolean slow = new AtomicBoolean();
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void setUp(TestDatabase database) {
        this.db = database;
        db.execute("DROP TABLE IF EXISTS " + TABLE.quoted(),
                "CREATE TABLE " + TABLE.quoted() + " (id int PRIMARY KEY, name text, "
                        + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        sources.forEach(ChangeSource::close);
    }

    private CdcConfig config(Strategy strategy, String scope, Map<String, String> extra) {
        Map<String, String> p = new LinkedHashMap<>(strategy.properties);
        p.putAll(db.cdcProperties());
        p.put("cdc.name", strategy.sourceName(scope));
        p.put("cdc.tables", TABLE.toString());
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "20ms");
        p.put("cdc.metrics.backlog-interval", "0ms");
        p.put("cdc.health.handler-stall", "300ms");
        p.putAll(extra);
        return CdcConfig.from(p);
    }

    private ChangeSource start(CdcConfig config) {
        ChangeSource source = ChangeSources.create(config);
        sources.add(source);
        source.start(batch -> {
            if (slow.get()) {
                Thread.sleep(700);
            }
            if (stall.get() && !release.await(2, TimeUnit.MINUTES)) {
                throw new IllegalStateException("never released");
            }
            received.addAll(batch);
        });
        return source;
    }

    private void insert(int from, int to) {
        db.execute("INSERT INTO " + TABLE.quoted() + " (id, name) SELECT g, 'n' || g FROM generate_series(" + from
                + ", " + to + ") g");
    }

    private static Object attribute(ObjectName name, String attribute) throws Exception {
        return ManagementFactory.getPlatformMBeanServer().getAttribute(name, attribute);
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void aStalledHandlerDegradesHealthWhileTheBacklogGrowsThenItRecovers(Strategy strategy) throws Exception {
        ChangeSource source = start(config(strategy, "ops", Map.of()));
        ObjectName mbean = new ObjectName("io.cdckit:type=ChangeSource,name=" + ObjectName.quote(source.config().name()));
        insert(1, 3);
        await().atMost(WAIT).until(() -> received.size() >= 3);
        await().atMost(WAIT).untilAsserted(() -> assertThat(source.health().status()).isEqualTo(SourceHealth.Status.UP));

        assertThat(attribute(mbean, "TotalNumberOfEventsSeen")).isEqualTo(3L);
        assertThat(attribute(mbean, "TotalNumberOfCreateEventsSeen")).isEqualTo(3L);
        assertThat(attribute(mbean, "Connected")).isEqualTo(true);
        assertThat(attribute(mbean, "Health")).isEqualTo("UP");
        assertThat((Long) attribute(mbean, "MilliSecondsSinceLastEvent")).isGreaterThanOrEqualTo(0L);
        long behind = (Long) attribute(mbean, "MilliSecondsBehindSource");
        if (strategy == Strategy.TIMESTAMP) {
            assertThat(behind).as("commit times unknown: Debezium's -1").isEqualTo(-1L);
        } else if (strategy.log()) {
            assertThat(behind).as("commit-to-handler lag").isGreaterThanOrEqualTo(0L);
        }
        assertThat(source.metrics().events(TABLE, Op.CREATE)).isEqualTo(3);

        stall.set(true);
        insert(4, 4);
        await().atMost(WAIT).untilAsserted(() -> {
            SourceHealth h = source.health();
            assertThat(h.status()).isEqualTo(SourceHealth.Status.DEGRADED);
            assertThat(h.details().get("reasons").toString()).contains("cdc.health.handler-stall");
        });
        assertThat(attribute(mbean, "Health")).isEqualTo("DEGRADED");
        Backlog before = source.metrics().backlog();
        insert(5, 500);
        await().atMost(WAIT).untilAsserted(() -> assertGrew(strategy, before, source.metrics().backlog()));

        release.countDown();
        await().atMost(WAIT).until(() -> received.size() >= 500);
        await().atMost(WAIT).untilAsserted(() -> assertThat(source.health().status()).isEqualTo(SourceHealth.Status.UP));
        assertThat(source.metrics().handlerNanos()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(300));

        source.close();
        assertThat(source.health().status()).isEqualTo(SourceHealth.Status.DOWN);
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        assertThat(server.isRegistered(mbean)).as("MBean unregistered after close").isFalse();
    }

    private static void assertGrew(Strategy strategy, Backlog before, Backlog now) {
        switch (strategy) {
            case TRIGGER_ROW -> {
                assertThat(now.pendingEntries()).isNotNull();
                assertThat(now.pendingEntries()).isGreaterThan(before.pendingEntries() == null ? 0 : before.pendingEntries());
                assertThat(now.oldestEntryAgeMs()).isNotNull();
                assertThat(now.logSizeBytes()).isPositive();
            }
            case TIMESTAMP -> {
                assertThat(now.watermarkAgeMs()).isNotNull();
                assertThat(now.watermarkAgeMs()).isGreaterThan(before.watermarkAgeMs() == null ? 0 : before.watermarkAgeMs());
            }
            default -> {
                assertThat(now.walFlushLagBytes()).isNotNull();
                assertThat(now.walFlushLagBytes()).isGreaterThan(before.walFlushLagBytes() == null ? 0 : before.walFlushLagBytes());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void aFailedSourceIsDownWithItsFailure(Strategy strategy) {
        ChangeSource source = ChangeSources.create(config(strategy, "down",
                Map.of("cdc.errors.max-retries", "0")));
        sources.add(source);
        source.start(batch -> {
            throw new IllegalStateException("handler refuses");
        });
        insert(1, 1);
        await().atMost(WAIT).until(() -> source.status().state() == SourceStatus.State.FAILED);
        SourceHealth h = source.health();
        assertThat(h.status()).isEqualTo(SourceHealth.Status.DOWN);
        assertThat(h.details()).containsEntry("state", "FAILED");
        assertThat(h.details().get("failure").toString()).contains("cdc.errors.max-retries");
        assertThat(source.metrics().handlerFailures()).isEqualTo(1);
    }

    /**
     * Each strategy's own threshold on what waits in the database (lag by commit time for the log
     * strategy, the oldest change-log entry for the trigger strategy, the watermark's age for
     * timestamp polling) makes health DEGRADED naming its key while the handler holds a batch,
     * well before the handler-stall threshold would.
     */
    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void eachStrategysBacklogThresholdDegradesHealthNamingItsKey(Strategy strategy) {
        String key = switch (strategy) {
            case LOG, LOG_PGOUTPUT -> "cdc.health.max-lag";
            case TIMESTAMP -> "cdc.timestamp.max-watermark-age";
            default -> "cdc.trigger.max-entry-age";
        };
        ChangeSource source = start(config(strategy, "threshold", Map.of(key, "300ms",
                "cdc.health.handler-stall", "10m")));
        insert(1, 1);
        await().atMost(WAIT).until(() -> received.size() >= 1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(source.health().status()).isEqualTo(SourceHealth.Status.UP));
        if (strategy.log()) {
            // lag is measured as events reach the handler: a slow handler makes the next ones arrive late
            slow.set(true);
            insert(2, 2);
            insert(3, 3);
            insert(4, 4);
            await().atMost(WAIT).until(() -> received.size() >= 4);
        } else {
            stall.set(true);
            insert(2, 2);
            insert(3, 3);
        }
        await().atMost(WAIT).untilAsserted(() -> {
            SourceHealth h = source.health();
            assertThat(h.status()).isEqualTo(SourceHealth.Status.DEGRADED);
            assertThat(h.details().get("reasons").toString()).contains(key).doesNotContain("cdc.health.handler-stall");
        });
        release.countDown();
        await().atMost(WAIT).until(() -> received.size() >= 3);
    }
}
