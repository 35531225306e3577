package io.cdckit.testkit;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeEventJson;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.api.TransactionInfo;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The contract of {@code cdc.batch.transactions=whole}: a strategy that sees transactions hands
 * the handler whole PostgreSQL transactions only, also when a transaction is larger than
 * {@code cdc.batch.max-size} (one of 5 000 rows among its neighbours), when concurrent transactions
 * interleave their writes, under a concurrent workload with long transactions (replicated exactly),
 * and across a restart after a failed handler (resuming after the last whole transaction); every
 * event carries its transaction's id, its order in the transaction and in its table, and the
 * transaction's event count, in the event and in its JSON. A strategy that does not see
 * transactions refuses the setting, naming it.
 */
public abstract class TransactionContract extends SelectionContract {

    /** Records each batch as the handler received it. */
    private static final class Batches implements ChangeHandler {
        private final List<List<ChangeEvent>> batches = new ArrayList<>();

        @Override
        public synchronized void handle(List<ChangeEvent> batch) {
            batches.add(List.copyOf(batch));
        }

        synchronized List<List<ChangeEvent>> all() {
            return List.copyOf(batches);
        }

        synchronized int events() {
            return batches.stream().mapToInt(List::size).sum();
        }
    }

    @Test
    void batchesHoldWholeTransactionsWithTheirEventCount() throws SQLException {
        TableId orders = table("orders");
        TableId lines = table("lines");
        createStandardTable(orders);
        createStandardTable(lines);
        CdcConfig config = config("whole", orders, lines).toBuilder().set("cdc.snapshot.mode", "never")
                .set("cdc.batch.max-size", "3").set("cdc.batch.transactions", "whole").build();
        if (!capabilities().transactions()) {
            assertThatThrownBy(() -> start(config, OffsetStores.memory(), new Batches()))
                    .isInstanceOf(CdcException.class).hasMessageContaining("cdc.batch.transactions");
            return;
        }
        Batches batches = new Batches();
        start(config, OffsetStores.memory(), batches);

        // one transaction of 8 events over two tables: larger than a batch
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO " + orders.quoted() + " (id, name, qty) SELECT g, 'o' || g, g FROM "
                        + "generate_series(1, 5) g");
                st.execute("INSERT INTO " + lines.quoted() + " (id, name, qty) VALUES (1, 'l1', 1), (2, 'l2', 2)");
                st.execute("UPDATE " + orders.quoted() + " SET qty = 50 WHERE id = 5");
            }
            c.commit();
        }
        // two transactions writing in turns, committed one after the other
        try (Connection a = db.connect(); Connection b = db.connect()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            try (Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
                for (int i = 0; i < 4; i++) {
                    sa.execute("INSERT INTO " + orders.quoted() + " (id, name) VALUES (" + (100 + i) + ", 'a')");
                    sb.execute("INSERT INTO " + lines.quoted() + " (id, name) VALUES (" + (200 + i) + ", 'b')");
                }
            }
            b.commit();
            a.commit();
        }
        db.execute("INSERT INTO " + orders.quoted() + " (id, name) VALUES (300, 'alone')");
        await().atMost(waitTime()).until(() -> batches.events() >= 17);
        settle();

        List<List<ChangeEvent>> all = batches.all();
        assertThat(all.stream().mapToInt(List::size).sum()).as("events").isEqualTo(17);
        Map<String, Integer> batchOfTransaction = new HashMap<>();
        Map<String, List<ChangeEvent>> transactions = new LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            for (ChangeEvent e : all.get(i)) {
                TransactionInfo tx = e.transaction();
                assertThat(tx).as("transaction of %s", e).isNotNull();
                assertThat(tx.id()).isEqualTo(String.valueOf(e.source().txId()));
                Integer earlier = batchOfTransaction.putIfAbsent(tx.id(), i);
                assertThat(earlier == null ? i : earlier).as("batch of transaction %s", tx.id()).isEqualTo(i);
                transactions.computeIfAbsent(tx.id(), k -> new ArrayList<>()).add(e);
            }
        }
        assertThat(transactions.values()).extracting(List::size).containsExactly(8, 4, 4, 1);
        for (List<ChangeEvent> events : transactions.values()) {
            assertThat(events).extracting(e -> e.transaction().totalOrder())
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, events.size()).boxed().toList());
            assertThat(events).allSatisfy(e -> assertThat(e.transaction().eventCount()).isEqualTo(events.size()));
            assertThat(events.get(events.size() - 1).transaction().isLast()).isTrue();
        }
        List<ChangeEvent> big = transactions.values().iterator().next();
        assertThat(big).filteredOn(e -> e.table().equals(orders)).extracting(e -> e.transaction().dataCollectionOrder())
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(big).filteredOn(e -> e.table().equals(lines)).extracting(e -> e.transaction().dataCollectionOrder())
                .containsExactly(1L, 2L);
        assertThat(all).as("the 8-event transaction in one batch, above cdc.batch.max-size")
                .anySatisfy(b -> assertThat(b.size()).isGreaterThanOrEqualTo(8));
        all.forEach(b -> assertNoWholePrefixWithin(b, 3));
        assertThat(ChangeEventJson.toJsonNode(big.get(0)).at("/transaction/event_count").asLong()).isEqualTo(8);
        assertThat(ChangeEventJson.read(ChangeEventJson.write(big.get(0))).transaction())
                .isEqualTo(big.get(0).transaction());
    }

    @Test
    void aRestartResumesAfterTheLastWholeTransactionHandled() throws SQLException {
        if (!capabilities().transactions()) {
            return; // refused: see batchesHoldWholeTransactionsWithTheirEventCount
        }
        TableId t = table("resume");
        createStandardTable(t);
        io.cdckit.api.OffsetStore offsets = OffsetStores.memory();
        CdcConfig config = config("whole-resume", t).toBuilder().set("cdc.snapshot.mode", "never")
                .set("cdc.batch.max-size", "2").set("cdc.batch.transactions", "whole")
                .set("cdc.errors.max-retries", "0").build();
        // the first run handles two batches, then its handler fails: the source stops after committing them.
        // The second and third transactions commit while the first batch is handled, so a trigger reader sees
        // them in one visibility batch and stops inside it: the restart resumes in the middle of that batch.
        Batches first = new Batches();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
        io.cdckit.api.ChangeSource failing = start(config, offsets, batch -> {
            int call = calls.incrementAndGet();
            if (call > 2) {
                throw new IllegalStateException("handler stops here");
            }
            first.handle(batch);
            if (call == 1 && !written.await(waitTime().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the later transactions were not written in time");
            }
        });
        String insert = "INSERT INTO " + t.quoted() + " (id, name) VALUES (?, 'x'), (? + 1, 'y'), (? + 2, 'z')";
        db.execute(insert.replace("?", "0"));
        await().atMost(waitTime()).until(() -> calls.get() >= 1);
        db.execute(insert.replace("?", "10"));
        db.execute(insert.replace("?", "20"));
        written.countDown();
        await().atMost(waitTime()).until(() -> failing.status().state() == io.cdckit.api.SourceStatus.State.FAILED);
        failing.close();
        assertThat(first.all()).hasSize(2);
        List<ChangeEvent> handled = first.all().stream().flatMap(List::stream).toList();
        assertThat(handled).hasSize(6);

        Batches second = new Batches();
        start(config.toBuilder().name("whole-resume").build(), offsets, second);
        await().atMost(waitTime()).until(() -> handled.size() + second.events() >= 9);
        settle();
        List<Object> ids = new ArrayList<>();
        handled.forEach(e -> ids.add(e.key().get("id")));
        second.all().forEach(b -> b.forEach(e -> ids.add(e.key().get("id"))));
        assertThat(ids).as("every row once, in commit order").containsExactly(0, 1, 2, 10, 11, 12, 20, 21, 22);
        assertThat(second.all()).allSatisfy(b -> assertThat(b).allSatisfy(e -> {
            assertThat(e.transaction().eventCount()).isEqualTo(3L);
            assertThat(b.stream().filter(o -> o.transaction().id().equals(e.transaction().id()))).hasSize(3);
        }));
    }

    @Test
    void aTransactionOfManyBatchesArrivesAsOneBetweenItsNeighbours() {
        if (!capabilities().transactions()) {
            return; // refused: see batchesHoldWholeTransactionsWithTheirEventCount
        }
        TableId t = table("bulk");
        createStandardTable(t);
        CdcConfig config = config("whole-bulk", t).toBuilder().set("cdc.snapshot.mode", "never")
                .set("cdc.batch.max-size", "100").set("cdc.batch.transactions", "whole").build();
        Batches batches = new Batches();
        start(config, OffsetStores.memory(), batches);
        db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (0, 'before')");
        db.execute("INSERT INTO " + t.quoted() + " (id, name, qty) SELECT g, 'bulk', g FROM generate_series(1, 5000) g");
        db.execute("UPDATE " + t.quoted() + " SET qty = -1 WHERE id = 0");
        await().atMost(waitTime()).until(() -> batches.events() >= 5002);
        settle();
        List<List<ChangeEvent>> all = batches.all();
        assertThat(all.stream().mapToInt(List::size).sum()).isEqualTo(5002);
        List<ChangeEvent> bulk = all.stream().filter(b -> b.stream().anyMatch(e -> "bulk".equals(e.row().get("name"))))
                .reduce((a, b) -> {
                    throw new AssertionError("the bulk insert was split over batches of " + a.size() + " and "
                            + b.size() + " events");
                }).orElseThrow();
        assertThat(bulk).filteredOn(e -> "bulk".equals(e.row().get("name"))).hasSize(5000)
                .allSatisfy(e -> assertThat(e.transaction().eventCount()).isEqualTo(5000L));
        assertThat(all.stream().flatMap(List::stream).map(e -> e.op().code() + e.key().get("id")).toList())
                .as("commit order").startsWith("c0", "c1").endsWith("c5000", "u0");
    }

    @Test
    void aConcurrentWorkloadArrivesInWholeTransactionsAndReplicatesExactly() {
        if (!capabilities().transactions()) {
            return; // refused: see batchesHoldWholeTransactionsWithTheirEventCount
        }
        TableId t = table("workload");
        Workload.createTable(db::connect, t);
        CdcConfig config = config("whole-workload", t).toBuilder().set("cdc.batch.max-size", "4")
                .set("cdc.batch.transactions", "whole").build();
        Batches batches = new Batches();
        try (ReplicaVerifier replica = ReplicaVerifier.create(db::connect, t, "replica_whole")) {
            start(config, OffsetStores.memory(), batch -> {
                batches.handle(batch);
                replica.apply(batch);
            });
            WorkloadResult result = Workload.on(db::connect, t).threads(3).transactionsPerThread(40)
                    .longTransactions(2).longTransactionHold(java.time.Duration.ofMillis(800)).seed(11).run();
            await().atMost(waitTime()).pollInterval(java.time.Duration.ofMillis(100))
                    .until(() -> replica.verify().matches());
            settle();
            Verification v = replica.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();
            assertThat(v.sourceRows()).isEqualTo(result.netRows());
        }
        Map<String, Integer> batchOfTransaction = new HashMap<>();
        Map<String, Long> counted = new HashMap<>();
        List<List<ChangeEvent>> all = batches.all();
        for (int i = 0; i < all.size(); i++) {
            for (ChangeEvent e : all.get(i)) {
                TransactionInfo tx = e.transaction();
                assertThat(tx).as("transaction of %s", e).isNotNull();
                assertThat(batchOfTransaction.putIfAbsent(tx.id(), i)).as("batch of transaction %s", tx.id())
                        .isIn(null, i);
                counted.merge(tx.id(), 1L, Long::sum);
            }
        }
        for (List<ChangeEvent> batch : all) {
            for (ChangeEvent e : batch) {
                assertThat(counted.get(e.transaction().id())).as("events of transaction %s", e.transaction().id())
                        .isEqualTo(e.transaction().eventCount());
            }
            assertNoWholePrefixWithin(batch, 4);
        }
    }

    /**
     * A batch above {@code max} events could not have ended earlier: none of its first {@code max}
     * events ends a prefix of whole transactions (the first transaction is larger than {@code max},
     * or transactions that interleave, as concurrent ones do in a change log, hold more).
     */
    private static void assertNoWholePrefixWithin(List<ChangeEvent> batch, int max) {
        if (batch.size() <= max) {
            return;
        }
        Map<String, Long> seen = new HashMap<>();
        int open = 0;
        for (int k = 0; k < max; k++) {
            TransactionInfo tx = batch.get(k).transaction();
            long n = seen.merge(tx.id(), 1L, Long::sum);
            if (n == 1) {
                open++;
            }
            if (n == tx.eventCount()) {
                open--;
            }
            assertThat(open).as("batch of %d events above cdc.batch.max-size %d, but its first %d hold whole "
                    + "transactions", batch.size(), max, k + 1).isPositive();
        }
    }
}
