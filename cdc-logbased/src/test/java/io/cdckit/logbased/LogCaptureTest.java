package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** What the log-based strategy adds to the contract: offsets and the slot, schema changes, TOAST, snapshot, transactions, heartbeat. */
@PostgresTest
class LogCaptureTest {

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

    private CdcConfig config(String name, Map<String, String> extra, String... tables) {
        Map<String, String> props = new LinkedHashMap<>(extra);
        props.putIfAbsent("cdc.mode", "log");
        props.putIfAbsent("cdc.log.engine", TestEngine.NAME);
        return sources.config(name, props, java.util.Arrays.stream(tables).map(TableId::parse).toArray(TableId[]::new));
    }

    private ChangeSource start(CdcConfig config, OffsetStore offsets, io.cdckit.api.ChangeHandler handler) {
        return sources.start(config, offsets, handler);
    }

    private long confirmedFlushLsn(String slot) {
        return db.queryForLong("SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots "
                + "WHERE slot_name = '" + slot + "'");
    }

    private long currentLsn() {
        return db.queryForLong("SELECT (pg_current_wal_lsn() - '0/0')::bigint");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void closeWithoutCommitResumesWithNothingLostAndTheSlotAdvancesOnlyAfterCommits() {
        db.execute("CREATE TABLE resume (id int PRIMARY KEY, name text)");
        OffsetStore offsets = OffsetStores.memory();
        CdcConfig cfg = config("resume", Map.of("cdc.errors.max-retries", "1000000"), "public.resume");

        AtomicInteger offered = new AtomicInteger();
        ChangeSource failing = start(cfg, offsets, batch -> {
            offered.incrementAndGet();
            throw new IllegalStateException("downstream is down");
        });
        long startLsn = confirmedFlushLsn("resume_slot");
        db.execute("INSERT INTO resume VALUES (1, 'a'), (2, 'b')", "INSERT INTO resume VALUES (3, 'c')");
        Awaitility.await().atMost(WAIT).until(() -> offered.get() >= 3);
        failing.close();
        assertThat(offsets.load("resume")).as("nothing committed").isEmpty();
        assertThat(confirmedFlushLsn("resume_slot")).as("the slot did not confirm unhandled WAL")
                .isEqualTo(startLsn);

        CapturedEvents captured = new CapturedEvents();
        start(cfg, offsets, captured);
        db.execute("INSERT INTO resume VALUES (4, 'd')");
        captured.awaitAtLeast(4, WAIT);
        pause(300);
        assertThat(captured.events()).extracting(e -> e.op().code() + ":" + e.key().get("id"))
                .containsExactly("c:1", "c:2", "c:3", "c:4");
        long afterInsert = currentLsn();
        assertThat(offsets.load("resume")).isPresent();
        Awaitility.await().atMost(WAIT).untilAsserted(() ->
                assertThat(confirmedFlushLsn("resume_slot")).as("the slot confirms committed WAL")
                        .isGreaterThan(startLsn));
        ChangeEvent last = captured.events().get(3);
        assertThat(last.source().lsn()).isNotNull().isPositive().isLessThanOrEqualTo(afterInsert);
        assertThat(last.source().txId()).isNotNull();
        assertThat(last.source().tsMs()).as("commit time").isNotNull()
                .isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis() + 1000);
        assertThat(last.source().connector()).isEqualTo("log");
    }

    @Test
    void addAndDropColumnMidStreamKeepEventsFlowingWithTheNewShape() {
        db.execute("CREATE TABLE shape (id int PRIMARY KEY, name text)");
        CapturedEvents captured = new CapturedEvents();
        start(config("shape", Map.of(), "public.shape"), OffsetStores.memory(), captured);
        db.execute("INSERT INTO shape VALUES (1, 'before')");
        captured.awaitAtLeast(1, WAIT);
        db.execute("ALTER TABLE shape ADD COLUMN qty int DEFAULT 7",
                "INSERT INTO shape VALUES (2, 'added', 3)",
                "UPDATE shape SET qty = 4 WHERE id = 1",
                "ALTER TABLE shape DROP COLUMN name",
                "INSERT INTO shape VALUES (3, 5)");
        List<ChangeEvent> events = captured.awaitAtLeast(4, WAIT);
        pause(300);
        assertThat(captured.events()).hasSize(4);
        assertThat(events.get(0).after()).containsExactly(Map.entry("id", 1), Map.entry("name", "before"));
        assertThat(events.get(1).after()).containsExactly(Map.entry("id", 2), Map.entry("name", "added"),
                Map.entry("qty", 3));
        assertThat(events.get(2).op()).isEqualTo(Op.UPDATE);
        assertThat(events.get(2).before()).containsEntry("qty", 7);
        assertThat(events.get(2).after()).containsEntry("qty", 4).containsEntry("name", "before");
        assertThat(events.get(3).after()).containsExactly(Map.entry("id", 3), Map.entry("qty", 5));
    }

    @Test
    void unchangedToastedValueArrivesWithItsRealValue() throws Exception {
        db.execute("CREATE TABLE toasty (id int PRIMARY KEY, big text, n int)");
        CapturedEvents captured = new CapturedEvents();
        start(config("toasty", Map.of(), "public.toasty"), OffsetStores.memory(), captured);
        db.execute("INSERT INTO toasty SELECT 1, string_agg(md5(i::text), '') , 1 FROM generate_series(1, 32768) i");
        String big = db.queryForString("SELECT big FROM toasty WHERE id = 1");
        assertThat(big).hasSize(1024 * 1024);
        assertThat(db.queryForLong("SELECT pg_column_size(big) FROM toasty")).as("stored out of line")
                .isGreaterThan(8000);
        db.execute("UPDATE toasty SET n = 2 WHERE id = 1");
        List<ChangeEvent> events = captured.awaitAtLeast(2, WAIT);
        ChangeEvent update = events.get(1);
        assertThat(update.op()).isEqualTo(Op.UPDATE);
        assertThat(update.after()).containsEntry("n", 2);
        assertThat((String) update.after().get("big")).as("unchanged TOASTed column").isEqualTo(big);
        assertThat((String) update.before().get("big")).isEqualTo(big);
    }

    @Test
    void withDefaultReplicaIdentityUnchangedToastedColumnIsLeftOutAndBeforeHoldsTheKey() {
        db.execute("CREATE TABLE toasty_default (id int PRIMARY KEY, big text, n int)");
        CapturedEvents captured = new CapturedEvents();
        start(config("toastdef", Map.of("cdc.log.replica-identity", "default"), "public.toasty_default"),
                OffsetStores.memory(), captured);
        db.execute("INSERT INTO toasty_default SELECT 1, string_agg(md5(i::text), ''), 1 "
                        + "FROM generate_series(1, 32768) i",
                "UPDATE toasty_default SET n = 2 WHERE id = 1",
                "DELETE FROM toasty_default WHERE id = 1");
        List<ChangeEvent> events = captured.awaitAtLeast(3, WAIT);
        assertThat(db.queryForString("SELECT relreplident::text FROM pg_class WHERE relname = 'toasty_default'"))
                .as("the table was left as it was").isEqualTo("d");
        ChangeEvent update = events.get(1);
        assertThat(update.after()).as("not available, not invented").containsOnlyKeys("id", "n");
        assertThat(update.before()).as("no before image without REPLICA IDENTITY FULL").isNull();
        ChangeEvent delete = events.get(2);
        assertThat(delete.op()).isEqualTo(Op.DELETE);
        assertThat(delete.before()).as("delete carries the key columns").containsEntry("id", 1);
        assertThat(delete.key()).containsEntry("id", 1);
    }

    @Test
    void initialSnapshotAndStreamMeetWithoutGapOrDoubleAndNoSnapshotAgainOnRestart() {
        db.execute("CREATE TABLE snap (id int PRIMARY KEY, name text)",
                "INSERT INTO snap SELECT g, 'row ' || g FROM generate_series(1, 5) g");
        OffsetStore offsets = OffsetStores.memory();
        CdcConfig cfg = config("snap", Map.of("cdc.snapshot.mode", "initial"), "public.snap");
        CapturedEvents first = new CapturedEvents();
        ChangeSource s1 = start(cfg, offsets, first);
        db.execute("INSERT INTO snap VALUES (6, 'streamed')", "UPDATE snap SET name = 'changed' WHERE id = 1");
        first.awaitAtLeast(1, e -> SourceInfo.SNAPSHOT_LAST.equals(e.source().snapshot()), WAIT);
        first.awaitAtLeast(2, e -> !e.source().isSnapshot(), WAIT);
        pause(300);
        List<ChangeEvent> events = first.events();
        // the streamed changes arrive as they are; rows they changed while their chunk was read come only as changes
        assertThat(events).filteredOn(e -> !e.source().isSnapshot())
                .extracting(e -> e.op().code() + ":" + e.key().get("id")).containsExactly("c:6", "u:1");
        List<ChangeEvent> reads = events.stream().filter(e -> e.source().isSnapshot()).toList();
        assertThat(reads).allMatch(e -> e.op() == Op.READ && e.before() == null);
        assertThat(reads).extracting(e -> (Integer) e.key().get("id")).doesNotHaveDuplicates()
                .containsAll(List.of(2, 3, 4, 5)).isSubsetOf(1, 2, 3, 4, 5, 6);
        assertThat(reads.get(reads.size() - 1).source().snapshot()).isEqualTo(SourceInfo.SNAPSHOT_LAST);
        Map<Object, Object> state = new java.util.TreeMap<>();
        for (ChangeEvent e : events) {
            state.put(e.key().get("id"), e.after().get("name"));
        }
        assertThat(state).containsExactly(Map.entry(1, "changed"), Map.entry(2, "row 2"), Map.entry(3, "row 3"),
                Map.entry(4, "row 4"), Map.entry(5, "row 5"), Map.entry(6, "streamed"));
        assertThat(events.get(events.size() - 1).position().fields()).as("the snapshot is done")
                .doesNotContainKey("snapshot.tables").containsEntry("tables", "[\"public.snap\"]");
        s1.close();

        db.execute("INSERT INTO snap VALUES (7, 'while stopped')");
        CapturedEvents second = new CapturedEvents();
        start(cfg, offsets, second);
        second.awaitAtLeast(1, WAIT);
        pause(500);
        assertThat(second.events()).as("resumes streaming, no second snapshot")
                .extracting(e -> e.op().code() + ":" + e.key().get("id")).containsExactly("c:7");
    }

    @Test
    void transactionMetadataNumbersEventsInTheTransactionAndPerTable() throws Exception {
        db.execute("CREATE TABLE tx_a (id int PRIMARY KEY)", "CREATE TABLE tx_b (id int PRIMARY KEY)");
        CapturedEvents captured = new CapturedEvents();
        start(config("tx", Map.of("cdc.log.transactions", "true"), "public.tx_a", "public.tx_b"),
                OffsetStores.memory(), captured);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO tx_a VALUES (1)");
            st.execute("INSERT INTO tx_b VALUES (1)");
            st.execute("INSERT INTO tx_a VALUES (2)");
            c.commit();
        }
        List<ChangeEvent> events = captured.awaitAtLeast(3, WAIT);
        assertThat(events).allSatisfy(e -> assertThat(e.transaction()).isNotNull());
        assertThat(events).extracting(e -> e.transaction().id()).containsOnly(events.get(0).transaction().id());
        assertThat(events.get(0).transaction().id()).isEqualTo(String.valueOf(events.get(0).source().txId()));
        assertThat(events).extracting(e -> e.transaction().totalOrder()).containsExactly(1L, 2L, 3L);
        assertThat(events).extracting(e -> e.transaction().dataCollectionOrder()).containsExactly(1L, 1L, 2L);
    }

    @Test
    void heartbeatAdvancesTheSlotWhileCapturedTablesAreIdleAndOthersBusy() {
        db.execute("CREATE TABLE idle (id int PRIMARY KEY)", "CREATE TABLE busy (id int PRIMARY KEY, pad text)");
        start(config("beat", Map.of("cdc.log.heartbeat.interval", "200ms"), "public.idle"), OffsetStores.memory(),
                new CapturedEvents());
        long start = confirmedFlushLsn("beat_slot");
        db.execute("INSERT INTO busy SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
        long afterBusy = currentLsn();
        Awaitility.await().atMost(WAIT).untilAsserted(() ->
                assertThat(confirmedFlushLsn("beat_slot")).as("slot confirmed past the other table's WAL")
                        .isGreaterThanOrEqualTo(afterBusy));
        assertThat(afterBusy).isGreaterThan(start);
    }
}
