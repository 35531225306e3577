package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresOrigin;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import io.cdckit.testkit.Verification;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The log strategy's chunked snapshot: a large table read while a writer changes it (rows of the
 * chunk being read, rows not read yet, keys beyond the largest one read at the start), replicated
 * exactly; short transactions only; a restart that resumes at its chunk; a snapshot asked for while
 * streaming; a table added to {@code cdc.tables} backfilled on restart.
 */
@PostgresTest
class ChunkedSnapshotTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

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

    private CdcConfig config(String name, Map<String, String> extra, TableId... tables) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cdc.mode", "log");
        props.put("cdc.log.engine", TestEngine.NAME);
        props.put("cdc.snapshot.mode", "initial");
        props.putAll(extra);
        return sources.config(name, props, tables);
    }

    @Test
    void twoHundredThousandRowsWithACompositeKeyUnderConcurrentWritesReplicateExactlyInShortTransactions()
            throws Exception {
        db.execute("CREATE TABLE big (region int, seq int, qty int NOT NULL, note text, PRIMARY KEY (region, seq))",
                "INSERT INTO big SELECT g / 1000, g % 1000, g, 'row ' || g FROM generate_series(0, 199999) g");
        TableId table = TableId.parse("public.big");
        Writer writer = new Writer(table, List.of("region", "seq"), "qty", 1L,
                n -> List.of(200 + (int) (n / 1000), (int) (n % 1000)),
                n -> List.of(n % 200, 1000 + (int) n));
        runUnderWrites("composite", table, writer, 200_000, 4096);
    }

    @Test
    void aTextKeyIsReadInItsCollationsOrderUnderConcurrentWrites() throws Exception {
        // mixed case, spaces, accents and punctuation: linguistic and byte order differ; only the column's own order counts
        String collation = db.queryForString("SELECT coalesce((SELECT quote_ident(collname) FROM pg_collation "
                + "WHERE collname IN ('en-x-icu', 'und-x-icu', 'en_US.utf8', 'en_US') ORDER BY collname LIMIT 1), "
                + "'\"default\"')");
        db.execute("CREATE TABLE words (id text COLLATE " + collation + " PRIMARY KEY, qty int NOT NULL, note text)",
                "INSERT INTO words SELECT (ARRAY['a', 'B', 'b ', 'Ä', '_', 'c-'])[1 + g % 6] || lpad((g * 7919 % 40000)::text, "
                        + "6, '0') || (CASE WHEN g % 3 = 0 THEN ' x' ELSE 'Y' END), g, 'word ' || g "
                        + "FROM generate_series(0, 39999) g");
        TableId table = TableId.parse("public.words");
        Writer writer = new Writer(table, List.of("id"), "qty", 2L,
                n -> List.of("zz beyond " + n),
                n -> List.of("b new " + n));
        runUnderWrites("text", table, writer, 40_000, 1500);
    }

    /**
     * Snapshots {@code table} with {@code writer} changing it all along, replays everything into a
     * replica and compares; samples the source's sessions for their transactions meanwhile.
     */
    private void runUnderWrites(String name, TableId table, Writer writer, int rows, int chunkSize) throws Exception {
        CdcConfig cfg = config(name, Map.of("cdc.snapshot.chunk-size", String.valueOf(chunkSize),
                "cdc.batch.max-size", "2000", "cdc.log.heartbeat.interval", "200ms"), table);
        SessionSampler sampler = new SessionSampler("cdckit:" + name);
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica");
             sampler) {
            Stream stream = new Stream(table, verifier);
            long started = System.nanoTime();
            sampler.start();
            sources.start(cfg, OffsetStores.memory(), stream);
            writer.start(stream.lastRead);
            Awaitility.await().atMost(WAIT).until(() -> stream.failure.get() != null || stream.snapshotDone.get());
            long snapshotNanos = System.nanoTime() - started;
            writer.stop();
            sampler.stop();
            assertThat(stream.failure.get()).isNull();
            assertThat(writer.failure.get()).isNull();
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        Verification v = verifier.verify();
                        assertThat(v.matches()).as(v.describe()).isTrue();
                    });
            assertThat(writer.changes.get()).as("the writer changed rows all along").isGreaterThan(100);
            assertThat(writer.nearChanges.get()).as("rows of the chunks being read were changed").isGreaterThan(20);
            assertThat(writer.beyond.get()).as("keys beyond the largest read at the start").isGreaterThan(5);
            // rows inserted inside the key range and rows whose key moved forward can be read too (their
            // change events supersede the copies): at most one more read per change of the writer
            assertThat(stream.reads.get()).as("rows read").isGreaterThan(rows / 2)
                    .isLessThanOrEqualTo(rows + writer.changes.get());
            assertThat(stream.foreign.get()).as("events that are no change of the table (heartbeats, watermarks)")
                    .isZero();
            assertThat(sampler.samplesInTransaction.get()).as("the sampler saw the source's transactions")
                    .isGreaterThan(3);
            Duration longest = Duration.ofNanos(sampler.longestNanos.get());
            Duration snapshot = Duration.ofNanos(snapshotNanos);
            assertThat(longest).as("no transaction of the source lasts longer than a chunk (snapshot took %s)",
                    snapshot).isLessThan(Duration.ofSeconds(2)).isLessThan(snapshot.dividedBy(4));
        }
    }

    @Test
    void aRestartMidSnapshotResumesAtTheChunkItWasIn() throws Exception {
        db.execute("CREATE TABLE resumed (id int PRIMARY KEY, note text)",
                "INSERT INTO resumed SELECT g, 'row ' || g FROM generate_series(1, 30000) g");
        TableId table = TableId.parse("public.resumed");
        int chunk = 1000;
        CdcConfig cfg = config("resumed", Map.of("cdc.snapshot.chunk-size", String.valueOf(chunk),
                "cdc.batch.max-size", "300"), table);
        OffsetStore offsets = OffsetStores.memory();
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            Stream first = new Stream(table, verifier);
            first.holdAt = 8450; // in the ninth chunk: the batch that crosses it is the last one handled
            ChangeSource s1 = sources.start(cfg, offsets, first);
            assertThat(first.held.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            Thread closer = new Thread(s1::close, "closer");
            closer.start();
            Thread.sleep(200);
            first.release.countDown();
            closer.join(WAIT.toMillis());
            Position stoppedAt = offsets.load("resumed").orElseThrow();
            SnapshotProgress progress = SnapshotProgress.from(stoppedAt);
            assertThat(progress).as("stopped in the middle of the snapshot: %s", stoppedAt).isNotNull();
            assertThat(progress.after()).as("the progress before the chunk in flight").containsExactly("8000");
            assertThat(first.snapshotDone.get()).isFalse();
            db.execute("UPDATE resumed SET note = 'changed while stopped' WHERE id IN (1, 29999)",
                    "DELETE FROM resumed WHERE id = 2", "INSERT INTO resumed VALUES (30001, 'new while stopped')");

            Stream second = new Stream(table, verifier);
            sources.start(cfg, offsets, second);
            Awaitility.await().atMost(WAIT).until(() -> second.failure.get() != null || second.snapshotDone.get());
            assertThat(second.failure.get()).isNull();
            Awaitility.await().atMost(WAIT).untilAsserted(() -> {
                Verification v = verifier.verify();
                assertThat(v.matches()).as(v.describe()).isTrue();
            });
            Set<Object> readTwice = new HashSet<>(first.readKeys);
            readTwice.retainAll(second.readKeys);
            assertThat(readTwice.size()).as("rows read twice (chunk size %d, %d read before the restart)", chunk,
                    first.readKeys.size()).isPositive().isLessThanOrEqualTo(chunk);
            assertThat(second.readKeys).as("the second run does not start over").doesNotContain(Map.of("id", 3))
                    .hasSizeLessThanOrEqualTo(30000 - first.readKeys.size() + chunk);
            assertThat(second.streamed).as("the changes made while stopped arrive as changes")
                    .contains("u:{id=1}", "u:{id=29999}", "d:{id=2}", "c:{id=30001}");
        }
    }

    @Test
    void aSnapshotAskedForWhileStreamingReplicatesTheTableExactly() throws Exception {
        db.execute("CREATE TABLE ondemand (id int PRIMARY KEY, qty int NOT NULL, note text)",
                "INSERT INTO ondemand SELECT g, g, 'row ' || g FROM generate_series(1, 20000) g");
        TableId table = TableId.parse("public.ondemand");
        CdcConfig cfg = config("ondemand", Map.of("cdc.snapshot.mode", "never", "cdc.snapshot.chunk-size", "2500"),
                table);
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            Stream stream = new Stream(table, verifier);
            ChangeSource source = sources.start(cfg, OffsetStores.memory(), stream);
            db.execute("UPDATE ondemand SET qty = -1 WHERE id <= 10", "INSERT INTO ondemand VALUES (20001, 1, 'new')");
            Awaitility.await().atMost(WAIT).until(() -> stream.streamed.size() >= 11);
            assertThat(stream.reads.get()).as("no snapshot with cdc.snapshot.mode=never").isZero();
            Writer writer = new Writer(table, List.of("id"), "qty", 3L, n -> List.of(30000 + (int) n),
                    n -> List.of(-(int) n));
            source.snapshot(table);
            writer.start(stream.lastRead);
            AtomicBoolean shown = new AtomicBoolean();
            Awaitility.await().atMost(WAIT).until(() -> {
                io.cdckit.api.SnapshotStatus status = source.status().snapshot();
                if (status != null && status.table().equals(table) && status.tablesLeft() == 1) {
                    shown.set(true);
                }
                return stream.failure.get() != null || stream.snapshotDone.get();
            });
            writer.stop();
            assertThat(shown.get()).as("status() showed the snapshot while it ran").isTrue();
            assertThat(source.status().snapshot()).as("and shows none once it is done").isNull();
            assertThat(stream.failure.get()).isNull();
            assertThat(writer.failure.get()).isNull();
            Awaitility.await().atMost(WAIT).untilAsserted(() -> {
                Verification v = verifier.verify();
                assertThat(v.matches()).as(v.describe()).isTrue();
            });
            assertThat(stream.reads.get()).isGreaterThan(15_000);
            assertThat(stream.foreign.get()).isZero();
        }
    }

    @Test
    void aTableAddedToTheConfigIsBackfilledOnRestartAndTheOtherIsNotSnapshottedAgain() throws Exception {
        db.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)",
                "INSERT INTO kept SELECT g, 'kept ' || g FROM generate_series(1, 3000) g",
                "CREATE TABLE added (id int PRIMARY KEY, note text)",
                "INSERT INTO added SELECT g, 'added ' || g FROM generate_series(1, 5000) g");
        TableId kept = TableId.parse("public.kept");
        TableId added = TableId.parse("public.added");
        OffsetStore offsets = OffsetStores.memory();
        try (ReplicaVerifier keptReplica = ReplicaVerifier.create(db::connect, kept, "replica");
             ReplicaVerifier addedReplica = ReplicaVerifier.create(db::connect, added, "replica")) {
            Stream first = new Stream(kept, keptReplica);
            ChangeSource s1 = sources.start(config("grown", Map.of("cdc.snapshot.chunk-size", "1000"), kept),
                    offsets, first);
            Awaitility.await().atMost(WAIT).until(() -> first.failure.get() != null || first.snapshotDone.get());
            assertThat(first.reads.get()).isEqualTo(3000);
            s1.close();
            assertThat(SnapshotProgress.captured(offsets.load("grown").orElseThrow())).containsExactly(kept);

            db.execute("UPDATE kept SET note = 'changed while stopped' WHERE id = 7",
                    "UPDATE added SET note = 'changed while stopped' WHERE id = 8");
            Stream keptStream = new Stream(kept, keptReplica);
            Stream addedStream = new Stream(added, addedReplica);
            sources.start(config("grown", Map.of("cdc.snapshot.chunk-size", "1000"), kept, added), offsets,
                    batch -> {
                        keptStream.handle(batch);
                        addedStream.handle(batch);
                    });
            db.execute("UPDATE kept SET note = 'changed after the restart' WHERE id = 9",
                    "INSERT INTO added VALUES (5001, 'inserted after the restart')");
            Awaitility.await().atMost(WAIT).until(() -> addedStream.failure.get() != null
                    || addedStream.snapshotDone.get());
            assertThat(addedStream.failure.get()).isNull();
            Awaitility.await().atMost(WAIT).untilAsserted(() -> {
                Verification a = addedReplica.verify();
                assertThat(a.matches()).as(a.describe()).isTrue();
                Verification k = keptReplica.verify();
                assertThat(k.matches()).as(k.describe()).isTrue();
            });
            assertThat(addedStream.reads.get()).as("the added table was backfilled").isGreaterThanOrEqualTo(4999);
            assertThat(keptStream.reads.get()).as("the other table was not snapshotted again").isZero();
            assertThat(keptStream.streamed).containsExactly("u:{id=7}", "u:{id=9}");
        }
    }

    @Test
    void aChangeDeliveredBeforeItsTransactionIsVisibleIsInTheChunkNotOverwrittenByIt() throws Exception {
        throwawayServerOnly();
        db.execute("CREATE TABLE pending (id int PRIMARY KEY, note text)",
                "INSERT INTO pending SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        TableId table = TableId.parse("public.pending");
        CdcConfig cfg = config("pending", Map.of("cdc.snapshot.mode", "never",
                "cdc.jdbc.properties.options", "-c synchronous_commit=local"), table);
        try (ReplicaVerifier verifier = ReplicaVerifier.create(localCommits(), table, "replica")) {
            Stream stream = new Stream(table, verifier);
            ChangeSource source = sources.start(cfg, OffsetStores.memory(), stream);
            LateWriter late = new LateWriter("UPDATE pending SET note = 'committed late' WHERE id = 50");
            try {
                late.startAndAwaitItsWait();
                Awaitility.await().atMost(WAIT).until(() -> stream.streamed.contains("u:{id=50}"));
                assertThat(db.queryForString("SELECT note FROM pending WHERE id = 50"))
                        .as("streamed, but not yet visible").isEqualTo("row 50");
                source.snapshot(table);
                Thread.sleep(1500);
                assertThat(stream.reads.get()).as("the chunk waits until what was delivered is visible").isZero();
            } finally {
                late.release();
            }
            Awaitility.await().atMost(WAIT).until(() -> stream.failure.get() != null || stream.snapshotDone.get());
            assertThat(stream.failure.get()).isNull();
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();
            assertThat(stream.readKeys).as("the chunk has the late change").contains(Map.of("id", 50)).hasSize(100);
        }
    }

    @Test
    void aChangeDeliveredAfterTheChunkBeganWhoseTransactionItsSnapshotMissedDropsTheRow() throws Exception {
        throwawayServerOnly();
        db.execute("CREATE TABLE missed (id int PRIMARY KEY, note text)",
                "INSERT INTO missed SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        TableId table = TableId.parse("public.missed");
        CdcConfig cfg = config("missed", Map.of("cdc.snapshot.mode", "never",
                "cdc.jdbc.properties.options", "-c synchronous_commit=local"), table);
        try (ReplicaVerifier verifier = ReplicaVerifier.create(localCommits(), table, "replica")) {
            Stream stream = new Stream(table, verifier);
            stream.holdOn = e -> e.op() == Op.CREATE && Integer.valueOf(1000).equals(e.key().get("id"));
            ChangeSource source = sources.start(cfg, OffsetStores.memory(), stream);
            db.execute("INSERT INTO missed VALUES (1000, 'holds the handler')");
            assertThat(stream.held.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            LateWriter late = new LateWriter("UPDATE missed SET note = 'committed late' WHERE id = 50");
            try {
                late.startAndAwaitItsWait();
                // asked for while the late change waits in the stream: it is delivered after the chunk began
                source.snapshot(table);
                stream.release.countDown();
                Awaitility.await().atMost(WAIT).until(() -> stream.failure.get() != null || stream.snapshotDone.get());
                assertThat(db.queryForString("SELECT note FROM missed WHERE id = 50"))
                        .as("the chunk was read while the late transaction was not visible").isEqualTo("row 50");
            } finally {
                late.release();
            }
            assertThat(stream.failure.get()).isNull();
            assertThat(stream.streamed).contains("u:{id=50}");
            assertThat(stream.readKeys).as("its row dropped from the chunk").doesNotContain(Map.of("id", 50))
                    .hasSize(100);
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();
        }
    }

    /**
     * The late-commit tests make the server wait for a synchronous standby that does not exist, which
     * holds up every commit that asks for one: only on a throwaway server of this test run.
     */
    private void throwawayServerOnly() {
        assumeTrue(db.server().origin() != PostgresOrigin.ENVIRONMENT,
                "the server comes from CDC_TEST_JDBC_URL and may be shared");
    }

    /** Connections for the replica that do not wait for a synchronous standby. */
    private java.util.concurrent.Callable<Connection> localCommits() {
        return () -> {
            Connection c = db.connect();
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit = local");
            }
            return c;
        };
    }

    /**
     * A change whose commit is written into the WAL, and so streamed, but not made visible: the
     * server waits for a synchronous standby that does not exist until {@link #release}.
     */
    private final class LateWriter {
        final String sql;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread;

        LateWriter(String sql) {
            this.sql = sql;
        }

        void startAndAwaitItsWait() {
            db.execute("ALTER SYSTEM SET synchronous_standby_names = 'cdckit_test_absent_standby'",
                    "SELECT pg_reload_conf()");
            thread = new Thread(() -> {
                try (Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
                    st.execute("SET application_name = 'late writer'");
                    st.execute(sql);
                } catch (SQLException e) {
                    failure.set(e);
                }
            }, "late-writer");
            thread.start();
            Awaitility.await().atMost(WAIT).until(() -> db.queryForLong("SELECT count(*) FROM pg_stat_activity "
                    + "WHERE application_name = 'late writer' AND wait_event = 'SyncRep'") == 1);
        }

        void release() throws InterruptedException {
            db.execute("ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");
            if (thread != null) {
                thread.join(WAIT.toMillis());
                assertThat(failure.get()).isNull();
            }
        }
    }

    /** Replays the events of one table into a replica and keeps what the tests look at. */
    private static final class Stream implements io.cdckit.api.ChangeHandler {
        final TableId table;
        final ReplicaVerifier verifier;
        final AtomicLong reads = new AtomicLong();
        final AtomicLong foreign = new AtomicLong();
        final AtomicBoolean snapshotDone = new AtomicBoolean();
        final AtomicReference<Map<String, Object>> lastRead = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Set<Object> readKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<String> streamed = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** When set: the handler stops at the batch that reaches this many rows read, until released. */
        volatile long holdAt;
        /** When set: the handler stops at the first batch with a matching event, until released. */
        volatile java.util.function.Predicate<ChangeEvent> holdOn;
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Stream(TableId table, ReplicaVerifier verifier) {
            this.table = table;
            this.verifier = verifier;
        }

        @Override
        public void handle(List<ChangeEvent> batch) {
            try {
                List<ChangeEvent> mine = new ArrayList<>();
                for (ChangeEvent e : batch) {
                    if (e.table() == null || e.op() != Op.TRUNCATE && e.key().isEmpty()) {
                        foreign.incrementAndGet();
                    }
                    if (!table.equals(e.table())) {
                        continue;
                    }
                    mine.add(e);
                    if (e.op() == Op.READ) {
                        reads.incrementAndGet();
                        readKeys.add(e.key());
                        lastRead.set(e.key());
                    } else {
                        streamed.add(e.op().code() + ":" + e.key());
                    }
                }
                verifier.apply(mine);
                String left = batch.get(batch.size() - 1).position().getString("snapshot.tables");
                if (reads.get() > 0 && (left == null || !left.contains("\"" + table + "\""))) {
                    snapshotDone.set(true);
                }
                java.util.function.Predicate<ChangeEvent> on = holdOn;
                if (held.getCount() > 0 && (holdAt > 0 && reads.get() >= holdAt
                        || on != null && batch.stream().anyMatch(on))) {
                    held.countDown();
                    release.await();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, e);
                throw e;
            }
        }
    }

    /**
     * Changes a table while it is snapshotted, each change a short transaction of its own: updates
     * and deletes of rows just after the last row the snapshot delivered (the chunk being read or the
     * next), updates of rows anywhere, inserts of keys beyond the largest one at the start and
     * inside the key range, and key updates.
     */
    private final class Writer {
        final TableId table;
        final List<String> key;
        final String counter;
        final Random random;
        final java.util.function.LongFunction<List<Object>> beyondKey;
        final java.util.function.LongFunction<List<Object>> insideKey;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong changes = new AtomicLong();
        final AtomicLong nearChanges = new AtomicLong();
        final AtomicLong beyond = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private Thread thread;

        Writer(TableId table, List<String> key, String counter, long seed,
               java.util.function.LongFunction<List<Object>> beyondKey,
               java.util.function.LongFunction<List<Object>> insideKey) {
            this.table = table;
            this.key = key;
            this.counter = counter;
            this.random = new Random(seed);
            this.beyondKey = beyondKey;
            this.insideKey = insideKey;
        }

        void start(AtomicReference<Map<String, Object>> lastRead) {
            thread = new Thread(() -> {
                try (Connection c = db.connect()) {
                    long n = 0;
                    while (!stop.get()) {
                        n++;
                        Map<String, Object> at = lastRead.get();
                        int op = random.nextInt(10);
                        if (at != null && op < 4) {
                            // the rows just after the last one delivered: the chunk being read, or the next
                            int offset = random.nextInt(3000);
                            String near = "SELECT " + keyList("t.") + " FROM " + table.quoted() + " t WHERE ("
                                    + keyList("t.") + ") > (" + params() + ") ORDER BY " + keyList("t.")
                                    + " LIMIT 3 OFFSET " + offset;
                            String sql = op < 3
                                    ? "UPDATE " + table.quoted() + " SET " + q(counter) + " = " + q(counter)
                                    + " + 1, note = 'near ' || " + q(counter) + " WHERE (" + keyList("") + ") IN ("
                                    + near + ")"
                                    : "DELETE FROM " + table.quoted() + " WHERE (" + keyList("") + ") IN (" + near
                                    + ")";
                            nearChanges.addAndGet(execute(c, sql, key.stream().map(at::get).toList()));
                        } else if (op < 6) {
                            String sql = "UPDATE " + table.quoted() + " SET " + q(counter) + " = " + q(counter)
                                    + " + 1 WHERE (" + keyList("") + ") IN (SELECT " + keyList("t.") + " FROM "
                                    + table.quoted() + " t TABLESAMPLE SYSTEM (1) LIMIT 2)";
                            execute(c, sql, List.of());
                        } else if (op < 8) {
                            execute(c, insert(), beyondKey.apply(n));
                            beyond.incrementAndGet();
                        } else if (op < 9) {
                            execute(c, insert(), insideKey.apply(n));
                        } else if (key.size() == 1 && key.get(0).equals("id")) {
                            // a key update: the row moves (Debezium: a delete and a create)
                            String sql = "UPDATE " + table.quoted() + " SET id = " + moved() + " WHERE id IN (SELECT "
                                    + "t.id FROM " + table.quoted() + " t TABLESAMPLE SYSTEM (1) LIMIT 1) "
                                    + "AND NOT EXISTS (SELECT 1 FROM " + table.quoted() + " o WHERE o.id = " + moved()
                                    + ")";
                            execute(c, sql, List.of());
                        } else {
                            String sql = "UPDATE " + table.quoted() + " AS u SET seq = u.seq + 5000 WHERE (u.region, "
                                    + "u.seq) IN (SELECT t.region, t.seq FROM " + table.quoted() + " t TABLESAMPLE "
                                    + "SYSTEM (1) WHERE t.seq < 5000 LIMIT 1) AND NOT EXISTS (SELECT 1 FROM "
                                    + table.quoted() + " o WHERE o.region = u.region AND o.seq = u.seq + 5000)";
                            execute(c, sql, List.of());
                        }
                        changes.incrementAndGet();
                        Thread.sleep(random.nextInt(3));
                    }
                } catch (Throwable t) {
                    if (!stop.get()) {
                        failure.compareAndSet(null, t);
                    }
                }
            }, "writer-" + table.table());
            thread.setDaemon(true);
            thread.start();
        }

        private String moved() {
            Object probe = insideKey.apply(0).get(0);
            return probe instanceof String ? "id || ' moved'" : "id + 1000000";
        }

        private String insert() {
            return "INSERT INTO " + table.quoted() + " (" + keyList("") + ", " + q(counter) + ", note) VALUES ("
                    + params() + ", 0, 'inserted') ON CONFLICT DO NOTHING";
        }

        void stop() throws InterruptedException {
            stop.set(true);
            if (thread != null) {
                thread.join(10_000);
            }
        }

        private String keyList(String alias) {
            return key.stream().map(k -> alias + q(k)).collect(Collectors.joining(", "));
        }

        private String params() {
            return key.stream().map(k -> "?").collect(Collectors.joining(", "));
        }

        private int execute(Connection c, String sql, List<Object> values) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < values.size(); i++) {
                    ps.setObject(i + 1, values.get(i));
                }
                return ps.executeUpdate();
            }
        }
    }

    private static String q(String identifier) {
        return TableId.quote(identifier);
    }

    /**
     * Samples {@code pg_stat_activity} for the sessions of one source and keeps how long the oldest
     * open transaction among them had been running.
     */
    private final class SessionSampler implements AutoCloseable {
        final String applicationName;
        final AtomicLong longestNanos = new AtomicLong();
        final AtomicLong samplesInTransaction = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        private Thread thread;

        SessionSampler(String applicationName) {
            this.applicationName = applicationName;
        }

        void start() {
            thread = new Thread(() -> {
                try (Connection c = db.connect();
                     PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(max(extract(epoch FROM "
                             + "clock_timestamp() - xact_start)), 0) FROM pg_stat_activity WHERE application_name = ? "
                             + "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()")) {
                    ps.setString(1, applicationName);
                    while (!stop.get()) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            if (rs.getLong(1) > 0) {
                                samplesInTransaction.incrementAndGet();
                                long nanos = (long) (rs.getDouble(2) * 1e9);
                                longestNanos.accumulateAndGet(nanos, Math::max);
                            }
                        }
                        Thread.sleep(5);
                    }
                } catch (SQLException | InterruptedException e) {
                    if (!stop.get()) {
                        throw new IllegalStateException(e);
                    }
                }
            }, "session-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            if (thread != null) {
                thread.join(5000);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
