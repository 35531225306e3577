package io.cdckit.logbased;

import io.cdckit.api.Backlog;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceHealth;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The slot guard on the shared server: the WAL a slot retains as backlog and health, and
 * retiring a source with {@link LogState#drop}.
 */
@PostgresTest
class SlotGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private TestDatabase db;
    private TestSources sources;

    @BeforeEach
    void bind(TestDatabase database) {
        this.db = database;
        this.sources = new TestSources(database);
    }

    @AfterEach
    void closeSources() {
        sources.close();
    }

    private CdcConfig config(String name, Map<String, String> extra, String table) {
        Map<String, String> props = new LinkedHashMap<>(extra);
        props.putIfAbsent("cdc.mode", "log");
        props.putIfAbsent("cdc.log.engine", TestEngine.NAME);
        return sources.config(name, props, TableId.parse(table));
    }

    private long slots(String slot) {
        return db.queryForLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    }

    private long publications(String publication) {
        return db.queryForLong("SELECT count(*) FROM pg_publication WHERE pubname = '" + publication + "'");
    }

    @SuppressWarnings("unchecked")
    private static List<String> reasons(SourceHealth health) {
        return (List<String>) health.details().get("reasons");
    }

    /**
     * Logs the running transactions into the WAL (a checkpoint does), which is where a logical
     * slot may move its restart_lsn once it confirmed past it; without it the server does so every
     * 15 s while WAL is written.
     */
    private void logRunningTransactions() {
        try {
            db.execute("CHECKPOINT");
        } catch (RuntimeException notAllowed) {
            // not a superuser on this server: the background writer logs them too
        }
    }

    @Test
    void aStalledHandlerLetsTheSlotRetainWalUntilHealthIsDegradedAndReleasingItBringsItBack() throws Exception {
        db.execute("CREATE TABLE stall (id int PRIMARY KEY, pad text)");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger handled = new AtomicInteger();
        CdcConfig cfg = config("stall", Map.of("cdc.log.slot.max-retained-wal", "256kB",
                "cdc.metrics.backlog-interval", "0ms", "cdc.log.heartbeat.interval", "200ms"), "public.stall");
        ChangeSource source = sources.start(cfg, OffsetStores.memory(), batch -> {
            entered.countDown();
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the handler");
            }
            handled.addAndGet(batch.size());
        });
        Backlog atStart = source.metrics().backlog();
        assertThat(atStart.walRetainedBytes()).as("measured at once with a 0ms interval").isNotNull()
                .isLessThan(256 * 1024);
        assertThat(atStart.walFlushLagBytes()).isNotNull();
        assertThat(source.health().status()).isEqualTo(SourceHealth.Status.UP);

        db.execute("INSERT INTO stall VALUES (0, 'first')");
        assertThat(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the handler got the first batch").isTrue();
        long stalledAt = source.metrics().backlog().walRetainedBytes();
        db.execute("INSERT INTO stall SELECT g, repeat('x', 500) FROM generate_series(1, 2000) g");

        Awaitility.await().atMost(WAIT).untilAsserted(() -> {
            SourceHealth health = source.health();
            assertThat(health.status()).isEqualTo(SourceHealth.Status.DEGRADED);
            assertThat(reasons(health)).anySatisfy(r -> assertThat(r)
                    .startsWith("replication slot stall_slot retains ")
                    .contains("bytes of WAL (cdc.log.slot.max-retained-wal=256kB)"));
            assertThat(health.details()).containsKey("walRetainedBytes");
        });
        Backlog stalled = source.metrics().backlog();
        assertThat(stalled.walRetainedBytes()).as("grows while the handler stalls")
                .isGreaterThan(stalledAt).isGreaterThan(256 * 1024);
        assertThat(stalled.walFlushLagBytes()).as("nothing confirmed since the stall").isGreaterThan(256 * 1024);
        assertThat(stalled.warnings()).hasSize(1);

        release.countDown();
        Awaitility.await().atMost(WAIT).until(() -> handled.get() == 2001);
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            logRunningTransactions();
            assertThat(source.health().status()).isEqualTo(SourceHealth.Status.UP);
        });
        Backlog caughtUp = source.metrics().backlog();
        assertThat(caughtUp.walRetainedBytes()).as("the slot advanced").isLessThan(stalled.walRetainedBytes())
                .isLessThanOrEqualTo(256 * 1024);
        assertThat(caughtUp.warnings()).isEmpty();
    }

    @Test
    void dropRefusesWhileTheSourceRunsThenRemovesSlotAndPublicationAndTheNextStartTakesANewSnapshot() {
        db.execute("CREATE TABLE retire (id int PRIMARY KEY)", "INSERT INTO retire VALUES (1)");
        OffsetStore offsets = OffsetStores.memory();
        CdcConfig cfg = config("retire", Map.of(), "public.retire");
        CapturedEvents first = new CapturedEvents();
        ChangeSource running = sources.start(cfg, offsets, first);
        db.execute("INSERT INTO retire VALUES (2)");
        first.awaitAtLeast(1, WAIT);

        assertThatThrownBy(() -> LogState.drop(cfg, offsets))
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("Replication slot retire_slot is in use")
                .hasMessageContaining("log source 'retire' is running")
                .hasMessageContaining("nothing was dropped");
        assertThat(slots("retire_slot")).isOne();
        assertThat(publications("retire_pub")).isOne();
        assertThat(running.status().state()).isEqualTo(SourceStatus.State.RUNNING);

        running.close();
        assertThat(offsets.load("retire")).as("a committed position").isPresent();
        LogState.drop(cfg, offsets);
        assertThat(slots("retire_slot")).isZero();
        assertThat(publications("retire_pub")).isZero();
        assertThat(offsets.load("retire")).get().satisfies(p -> assertThat(LogState.isRetired(p)).isTrue());
        LogState.drop(cfg, offsets); // again: nothing left to drop, no failure

        db.execute("INSERT INTO retire VALUES (3)");
        CapturedEvents again = new CapturedEvents();
        sources.start(config("retire", Map.of("cdc.snapshot.mode", "initial"), "public.retire"), offsets, again);
        List<ChangeEvent> events = again.awaitAtLeast(3, WAIT);
        assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("id"))
                .containsExactlyInAnyOrder("r:1", "r:2", "r:3");
        db.execute("INSERT INTO retire VALUES (4)");
        assertThat(again.awaitAtLeast(1, e -> e.op() == Op.CREATE, WAIT))
                .extracting(e -> e.key().get("id")).containsExactly(4);
    }

    @Test
    void aCommittedPositionWhoseSlotIsGoneFailsTheStartInsteadOfSkippingWhatCameBetween() {
        db.execute("CREATE TABLE gone (id int PRIMARY KEY)");
        OffsetStore offsets = OffsetStores.memory();
        CdcConfig cfg = config("gone", Map.of(), "public.gone");
        CapturedEvents first = new CapturedEvents();
        ChangeSource s = sources.start(cfg, offsets, first);
        db.execute("INSERT INTO gone VALUES (1)");
        first.awaitAtLeast(1, WAIT);
        s.close();
        db.execute("SELECT pg_drop_replication_slot('gone_slot')", "INSERT INTO gone VALUES (2)");

        ChangeSource restarted = ChangeSources.builder(cfg).offsetStore(offsets).build();
        try {
            assertThatThrownBy(() -> restarted.start(batch -> { }))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining("Source 'gone' has a committed position (LSN ")
                    .hasMessageContaining("replication slot gone_slot does not exist")
                    .hasMessageContaining("LogState.drop(config)")
                    .hasMessageContaining("cdc.snapshot.mode=initial")
                    .hasMessageContaining("new cdc.name");
            assertThat(restarted.status().state()).isEqualTo(SourceStatus.State.FAILED);
        } finally {
            restarted.close();
        }
        assertThat(slots("gone_slot")).as("no new slot that would start after the gap").isZero();
    }

    @Test
    void maxRetainedWalTakesPostgresSizesAndRejectsOthersNamingTheKey() {
        CdcConfig dflt = config("sizes", Map.of(), "public.t");
        assertThat(dflt.get(LogConfig.SLOT_MAX_RETAINED_WAL).bytes()).isEqualTo(1L << 30);
        assertThat(LogConfig.SLOT_MAX_RETAINED_WAL.defaultText()).isEqualTo("1GB");
        for (Map.Entry<String, Long> e : Map.of("512MB", 512L << 20, "1GB", 1L << 30, "100kB", 100L << 10,
                "65536", 65536L, "64 kb", 64L << 10, "2TB", 2L << 40, "1000B", 1000L).entrySet()) {
            CdcConfig c = config("sizes", Map.of("cdc.log.slot.max-retained-wal", e.getKey()), "public.t");
            assertThat(c.get(LogConfig.SLOT_MAX_RETAINED_WAL).bytes()).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(ByteSize.parse("65536")).hasToString("64kB");
        assertThat(ByteSize.parse("1000")).hasToString("1000B");
        for (String bad : List.of("lots", "-1", "0", "1.5GB", "10PB", "99999999999999999999", "9000000000TB")) {
            assertThatThrownBy(() -> config("sizes", Map.of("cdc.log.slot.max-retained-wal", bad), "public.t"))
                    .as(bad)
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining("cdc.log.slot.max-retained-wal")
                    .hasMessageContaining("kB, MB, GB or TB")
                    .hasMessageContaining("e.g. 100kB, 512MB or 1GB");
        }
    }
}
