package io.cdckit.api;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The delivery loop that every strategy shares, driven by the test-only queue strategy. */
class DeliveryLoopTest {

    private String queue;

    @BeforeEach
    void setUp(TestInfo info) {
        queue = info.getTestMethod().orElseThrow().getName();
        QueueChangeSourceProvider.reset(queue);
    }

    private CdcConfig.Builder config() {
        return CdcConfig.builder().mode("queue").tables("public.t").name("src-" + queue)
                .set("cdc.queue.name", queue).set("cdc.poll.interval", "5ms")
                .set("cdc.errors.retry.initial-delay", "1ms").set("cdc.errors.retry.max-delay", "5ms");
    }

    private void offer(int from, int to) {
        for (int i = from; i <= to; i++) {
            QueueChangeSourceProvider.offer(queue, QueueChangeSourceProvider.insert(i, i));
        }
    }

    private static List<Integer> ids(List<ChangeEvent> events) {
        List<Integer> out = new ArrayList<>();
        for (ChangeEvent e : events) {
            out.add((Integer) e.key().get("id"));
        }
        return out;
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void deliversInOrderInBoundedBatchesAndCommitsAfterHandler() {
        OffsetStore store = OffsetStores.memory();
        offer(1, 25);
        List<ChangeEvent> seen = Collections.synchronizedList(new ArrayList<>());
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        try (ChangeSource source = ChangeSources.builder(config().set("cdc.batch.max-size", "10").build())
                .offsetStore(store).build()) {
            source.start(batch -> {
                batchSizes.add(batch.size());
                // the position of this batch is not committed while the handler runs
                long committed = store.load("src-" + queue).map(p -> p.getLong("seq")).orElse(0L);
                assertThat(committed).isLessThan((Integer) batch.get(0).key().get("id"));
                seen.addAll(batch);
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 25);
            await().atMost(Duration.ofSeconds(10)).until(() -> store.load("src-" + queue)
                    .map(p -> p.getLong("seq")).orElse(0L) == 25L);
            assertThat(ids(seen)).isEqualTo(range(1, 25));
            assertThat(batchSizes).allMatch(s -> s <= 10);
            SourceMetrics m = source.metrics();
            assertThat(m.eventsDelivered()).isEqualTo(25);
            assertThat(m.batchesDelivered()).isEqualTo(batchSizes.size());
            assertThat(m.lastEventTime()).isNotNull();
            assertThat(m.msSinceLastEvent()).isGreaterThanOrEqualTo(0);
            assertThat(m.lagMs()).isGreaterThanOrEqualTo(0);
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
        }
        assertThat(QueueChangeSourceProvider.ACKS.get(queue)).last().isEqualTo(Position.of("seq", 25));
    }

    @Test
    void failingHandlerGetsTheSameBatchAgainAndNothingIsLost() {
        offer(1, 30);
        AtomicInteger calls = new AtomicInteger();
        List<List<Integer>> deliveries = Collections.synchronizedList(new ArrayList<>());
        List<Integer> processed = Collections.synchronizedList(new ArrayList<>());
        try (ChangeSource source = ChangeSources.builder(config().set("cdc.batch.max-size", "7").build()).build()) {
            source.start(batch -> {
                deliveries.add(ids(batch));
                if (calls.incrementAndGet() % 3 != 0) {
                    throw new IllegalStateException("transient failure " + calls.get());
                }
                processed.addAll(ids(batch));
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> processed.size() >= 30);
            assertThat(processed).isEqualTo(range(1, 30));
            // each failed delivery is followed by the very same batch
            for (int i = 0; i + 1 < deliveries.size(); i++) {
                if ((i + 1) % 3 != 0) {
                    assertThat(deliveries.get(i + 1)).isEqualTo(deliveries.get(i));
                }
            }
            SourceMetrics m = source.metrics();
            assertThat(m.handlerFailures()).isEqualTo(m.retries()).isGreaterThan(0);
            assertThat(m.eventsDelivered()).isEqualTo(30);
        }
    }

    @Test
    void exhaustedRetriesFailStopWithoutCommittingAndARestartResumesAtTheBatch() {
        OffsetStore store = OffsetStores.memory();
        offer(1, 10);
        CdcConfig cfg = config().set("cdc.batch.max-size", "5").set("cdc.errors.max-retries", "2").build();
        AtomicInteger attemptsOnSecond = new AtomicInteger();
        ChangeSource source = ChangeSources.builder(cfg).offsetStore(store).build();
        source.start(batch -> {
            if ((Integer) batch.get(0).key().get("id") == 6) {
                attemptsOnSecond.incrementAndGet();
                throw new IllegalArgumentException("poison");
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> source.status().state() == SourceStatus.State.FAILED);
        assertThat(source.status().failure()).isInstanceOf(CdcException.class)
                .hasMessageContaining("failed on a batch of 5 events")
                .hasMessageContaining("cdc.errors.tolerance")
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
        assertThat(attemptsOnSecond).hasValue(3);
        assertThat(store.load("src-" + queue)).contains(Position.of("seq", 5));
        source.close();
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.FAILED);

        List<Integer> redelivered = Collections.synchronizedList(new ArrayList<>());
        try (ChangeSource again = ChangeSources.builder(cfg).offsetStore(store).build()) {
            again.start(batch -> redelivered.addAll(ids(batch)));
            await().atMost(Duration.ofSeconds(10)).until(() -> redelivered.size() == 5);
            assertThat(redelivered).isEqualTo(range(6, 10));
        }
    }

    @Test
    void toleranceAllHandsTheBatchToTheDeadLetterHandlerAndGoesOn() {
        offer(1, 9);
        List<Integer> dead = Collections.synchronizedList(new ArrayList<>());
        List<Integer> ok = Collections.synchronizedList(new ArrayList<>());
        CdcConfig cfg = config().set("cdc.batch.max-size", "3").set("cdc.errors.max-retries", "1")
                .set("cdc.errors.tolerance", "all").build();
        try (ChangeSource source = ChangeSources.builder(cfg)
                .deadLetterHandler((batch, cause) -> dead.addAll(ids(batch))).build()) {
            source.start(batch -> {
                if (batch.stream().anyMatch(e -> (Integer) e.key().get("id") == 5)) {
                    throw new RuntimeException("cannot handle 5");
                }
                ok.addAll(ids(batch));
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> ok.size() + dead.size() == 9);
            assertThat(dead).isEqualTo(range(4, 6));
            assertThat(ok).isEqualTo(List.of(1, 2, 3, 7, 8, 9));
            assertThat(source.metrics().deadLettered()).isEqualTo(3);
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
        }
    }

    @Test
    void closeLetsTheBatchInFlightFinishAndCommitsIt() throws Exception {
        OffsetStore store = OffsetStores.memory();
        offer(1, 3);
        CountDownLatch inHandler = new CountDownLatch(1);
        ChangeSource source = ChangeSources.builder(config().build()).offsetStore(store).build();
        source.start(batch -> {
            inHandler.countDown();
            Thread.sleep(300);
        });
        assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
        source.close();
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.STOPPED);
        assertThat(store.load("src-" + queue)).contains(Position.of("seq", 3));
        source.close(); // idempotent
    }

    @Test
    void closeDuringBackoffDoesNotCommitTheFailedBatch() throws Exception {
        OffsetStore store = OffsetStores.memory();
        offer(1, 2);
        CountDownLatch failed = new CountDownLatch(1);
        CdcConfig cfg = config().set("cdc.errors.retry.initial-delay", "10s")
                .set("cdc.errors.retry.max-delay", "10s").build();
        ChangeSource source = ChangeSources.builder(cfg).offsetStore(store).build();
        source.start(batch -> {
            failed.countDown();
            throw new Exception("down");
        });
        assertThat(failed.await(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> source.status().state() == SourceStatus.State.RETRYING);
        long t0 = System.nanoTime();
        source.close();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(store.load("src-" + queue)).isEmpty();
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.STOPPED);
    }

    @Test
    void unknownModeListsTheModesOnTheClasspath() {
        assertThatThrownBy(() -> ChangeSources.create(config().mode("wal2json").build()))
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("Unknown cdc.mode 'wal2json'")
                .hasMessageContaining("queue");
        assertThat(ChangeSources.availableModes()).contains("queue");
    }

    @Test
    void setupErrorsAreThrownByStartAndMarkTheSourceFailed() {
        ChangeSource source = ChangeSources.create(config().set("cdc.queue.fail-open", "true").build());
        assertThatThrownBy(() -> source.start(batch -> { }))
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.queue.fail-open=false");
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.FAILED);
        source.close();
    }

    @Test
    void aSourceStartsOnlyOnce() {
        try (ChangeSource source = ChangeSources.create(config().build())) {
            source.start(batch -> { });
            assertThatThrownBy(() -> source.start(batch -> { })).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void resumesAfterTheCommittedPositionOnRestart() {
        OffsetStore store = OffsetStores.memory();
        offer(1, 4);
        List<Integer> first = Collections.synchronizedList(new ArrayList<>());
        try (ChangeSource s = ChangeSources.builder(config().build()).offsetStore(store).build()) {
            s.start(b -> first.addAll(ids(b)));
            await().atMost(Duration.ofSeconds(10)).until(() -> first.size() == 4);
        }
        offer(5, 8);
        List<Integer> second = Collections.synchronizedList(new ArrayList<>());
        try (ChangeSource s = ChangeSources.builder(config().build()).offsetStore(store).build()) {
            s.start(b -> second.addAll(ids(b)));
            await().atMost(Duration.ofSeconds(10)).until(() -> second.size() == 4);
        }
        assertThat(first).isEqualTo(range(1, 4));
        assertThat(second).isEqualTo(range(5, 8));
    }

    @Test
    void lostConnectionsAreReopenedFromTheCommittedPositionWithNothingLost() {
        OffsetStore store = OffsetStores.memory();
        offer(1, 5);
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        CdcConfig cfg = config().set("cdc.batch.max-size", "2").set("cdc.reconnect.initial-delay", "1ms")
                .set("cdc.reconnect.max-delay", "5ms").build();
        try (ChangeSource source = ChangeSources.builder(cfg).offsetStore(store).build()) {
            source.start(batch -> seen.addAll(ids(batch)));
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 5);
            // the connection drops twice, and the first two attempts to reconnect are refused
            QueueChangeSourceProvider.FAILING_POLLS.get(queue).set(2);
            QueueChangeSourceProvider.FAILING_OPENS.get(queue).set(2);
            offer(6, 9);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 9);
            assertThat(seen).isEqualTo(range(1, 9));
            assertThat(source.metrics().reconnects()).isEqualTo(2);
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
        }
        // every reader that was opened was closed, once
        assertThat(QueueChangeSourceProvider.CLOSED.get(queue).get())
                .isEqualTo(QueueChangeSourceProvider.OPENED.get(queue).get() + 2);
    }

    @Test
    void aConnectionErrorReportedAsCdcExceptionWhileReconnectingIsRetried() {
        offer(1, 1);
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        CdcConfig cfg = config().set("cdc.reconnect.initial-delay", "1ms").set("cdc.reconnect.max-delay", "5ms")
                .build();
        try (ChangeSource source = ChangeSources.builder(cfg).build()) {
            source.start(batch -> seen.addAll(ids(batch)));
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
            // the server restarts: the strategy says it cannot connect, because the server is starting up
            QueueChangeSourceProvider.WRAPPED_FAILING_OPENS.get(queue).set(2);
            QueueChangeSourceProvider.FAILING_POLLS.get(queue).set(1);
            offer(2, 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 3);
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);
            assertThat(source.metrics().reconnects()).isEqualTo(1);
        }
    }

    @Test
    void aSetupProblemWhileReconnectingStopsTheSource() {
        offer(1, 1);
        CdcConfig cfg = config().set("cdc.reconnect.initial-delay", "1ms").build();
        try (ChangeSource source = ChangeSources.builder(cfg).build()) {
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            source.start(batch -> seen.addAll(ids(batch)));
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
            QueueChangeSourceProvider.BROKEN_SETUP.put(queue, true);
            QueueChangeSourceProvider.FAILING_POLLS.get(queue).set(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> source.status().state() == SourceStatus.State.FAILED);
            assertThat(source.status().failure()).isInstanceOf(CdcException.class)
                    .hasMessageContaining("cdc.queue.fail-open=false");
        }
    }

    @Test
    void reconnectAttemptsAreBounded() {
        CdcConfig cfg = config().set("cdc.reconnect.initial-delay", "1ms").set("cdc.reconnect.max-delay", "2ms")
                .set("cdc.reconnect.max-attempts", "3").build();
        try (ChangeSource source = ChangeSources.builder(cfg).build()) {
            source.start(batch -> { });
            QueueChangeSourceProvider.FAILING_OPENS.get(queue).set(100);
            QueueChangeSourceProvider.FAILING_POLLS.get(queue).set(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> source.status().state() == SourceStatus.State.FAILED);
            assertThat(source.status().failure()).hasMessageContaining("could not reconnect after 3 attempts")
                    .hasMessageContaining("cdc.reconnect.max-attempts")
                    .hasRootCauseInstanceOf(java.sql.SQLException.class);
            assertThat(source.metrics().reconnects()).isZero();
        }
    }

    @Test
    void closeDoesNotWaitForALongPollInterval() throws InterruptedException {
        ChangeSource source = ChangeSources.create(config().set("cdc.poll.interval", "10m").build());
        source.start(batch -> { });
        Thread.sleep(200); // let the worker settle into its ten-minute poll
        long t0 = System.nanoTime();
        source.close();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(source.status().state()).isEqualTo(SourceStatus.State.STOPPED);
    }
}
