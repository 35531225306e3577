package io.cdckit.timestamp;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.SnapshotProgress;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Verification;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A snapshot of a production-size table (200 000 rows, composite key) and of a table with a text
 * key, read while a writer inserts, updates and deletes rows of both (rows of the chunk being
 * read, rows the snapshot passed, keys above the largest one when the snapshot began): the copy
 * made from the events equals the tables, each row's states arrive in order, and no transaction
 * of the source lasts longer than a chunk.
 */
@PostgresTest
class ChunkedSnapshotWorkloadTest {

    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final int ROWS = 200_000;
    private static final int TEXT_ROWS = 20_000;
    private static final int CHUNK = 4_096;

    private final TableId composite = new TableId("public", "big_composite");
    private final TableId text = new TableId("public", "big_text");
    private RunningSources sources;

    @AfterEach
    void close() {
        if (sources != null) {
            sources.close();
        }
    }

    @Test
    void aLargeSnapshotUnderAConcurrentWriterReplicatesExactlyInShortTransactions(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        db.execute("CREATE TABLE " + composite.quoted() + " (region int, id int, v int NOT NULL DEFAULT 0,"
                        + " payload text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                        + " PRIMARY KEY (region, id))",
                "CREATE INDEX ON " + composite.quoted() + " (updated_at, region, id)",
                "INSERT INTO " + composite.quoted() + " (region, id, payload) SELECT g % 4, g, 'row ' || g"
                        + " FROM generate_series(0, " + (ROWS - 1) + ") g",
                // mixed case: the order of these keys depends on the column's collation, which only SQL knows
                "CREATE TABLE " + text.quoted() + " (code text PRIMARY KEY, v int NOT NULL DEFAULT 0,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE INDEX ON " + text.quoted() + " (updated_at, code)",
                "INSERT INTO " + text.quoted() + " (code) SELECT CASE WHEN g % 2 = 0 THEN upper(md5(g::text))"
                        + " ELSE md5(g::text) END FROM generate_series(1, " + TEXT_ROWS + ") g",
                "ANALYZE " + composite.quoted(), "ANALYZE " + text.quoted());
        String name = "big";
        OffsetStore offsets = OffsetStores.memory();
        CapturedEvents captured = new CapturedEvents();
        AtomicBoolean snapshotDone = new AtomicBoolean();
        try (ReplicaVerifier compositeReplica = ReplicaVerifier.create(db::connect, composite, "replica_big");
             ReplicaVerifier textReplica = ReplicaVerifier.create(db::connect, text, "replica_big")) {
            TransactionSampler sampler = new TransactionSampler(db, "cdckit:" + name);
            Writer writer = new Writer(db, offsets, name);
            long started = System.nanoTime();
            sources.start(sources.config(name, Map.of("cdc.snapshot.mode", "initial",
                    "cdc.snapshot.chunk-size", String.valueOf(CHUNK),
                    "cdc.timestamp.reconcile.every-polls", "25"), composite, text), offsets, batch -> {
                        compositeReplica.apply(batch);
                        textReplica.apply(batch);
                        captured.handle(batch);
                        if (batch.get(batch.size() - 1).source().snapshot().equals(SourceInfo.SNAPSHOT_LAST)) {
                            snapshotDone.set(true);
                        }
                    });
            sampler.start();
            // once the first chunk fixed the largest key of the table's snapshot
            captured.awaitAtLeast(1, WAIT);
            writer.start();
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).untilTrue(snapshotDone);
            long snapshotMillis = (System.nanoTime() - started) / 1_000_000;
            sampler.stop();
            writer.stop();

            Awaitility.await().atMost(WAIT).pollDelay(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(500))
                    .until(() -> compositeReplica.verify().matches() && textReplica.verify().matches());
            for (ReplicaVerifier r : List.of(compositeReplica, textReplica)) {
                Verification v = r.verify();
                assertThat(v.matches()).as(v.describe()).isTrue();
            }

            assertThat(writer.chunkRowsChanged.get()).as("the writer changed rows of the chunk being read").isPositive();
            assertThat(writer.committed.get()).as("writer transactions").isGreaterThan(50);
            List<ChangeEvent> events = captured.events();
            List<ChangeEvent> compositeEvents = events.stream()
                    .filter(e -> composite.table().equals(e.source().table())).toList();
            SnapshotProgress began = compositeEvents.stream().map(e -> SnapshotProgress.from(e.position()))
                    .filter(p -> p != null && p.table().equals(composite) && p.upTo() != null).findFirst().orElseThrow();
            int[] upTo = {Integer.parseInt(began.upTo().get(0)), Integer.parseInt(began.upTo().get(1))};
            assertThat(compositeEvents.stream().filter(e -> e.op() == Op.READ && above(e, upTo)))
                    .as("rows above the largest key when the snapshot began (%s) come from the stream only",
                            began.upTo()).isEmpty();
            assertThat(compositeEvents.stream().filter(e -> e.op() == Op.CREATE && above(e, upTo)))
                    .as("rows inserted above that key arrive as c").isNotEmpty();
            assertThat(events.stream().filter(e -> e.op() == Op.DELETE)).as("deletes are found").isNotEmpty();
            assertStatesInReadOrder(events);
            List<Map<String, Object>> reads = compositeEvents.stream().filter(e -> e.op() == Op.READ)
                    .map(ChangeEvent::key).toList();
            assertThat(reads).as("each row existing at its chunk read once").doesNotHaveDuplicates()
                    .hasSizeBetween(ROWS - (int) writer.deleted.get(), ROWS + (int) writer.inserted.get());

            // no transaction lasted longer than a chunk, and the sessions' xmin moved on chunk after chunk
            assertThat(sampler.samples.get()).as("samples taken").isGreaterThan(20);
            assertThat(sampler.maxAgeMillis.get()).as("longest transaction seen (ms) in a snapshot of %s ms",
                    snapshotMillis).isLessThan(Math.min(3_000, snapshotMillis / 4));
            assertThat(sampler.xmins).as("distinct backend_xmin of the source's sessions").hasSizeGreaterThan(10);
            assertThat(sampler.lastXmin.get()).as("the xmin moved on").isGreaterThan(sampler.firstXmin.get());
        }
    }

    private static boolean above(ChangeEvent e, int[] key) {
        int region = (Integer) e.key().get("region");
        return region > key[0] || (region == key[0] && (Integer) e.key().get("id") > key[1]);
    }

    /** Per row, the version (v) of the states delivered never goes down: the no-window argument. */
    static void assertStatesInReadOrder(List<ChangeEvent> events) {
        Map<String, Integer> last = new HashMap<>();
        for (ChangeEvent e : events) {
            String key = e.source().table() + e.key();
            if (e.op() == Op.DELETE) {
                last.remove(key);
                continue;
            }
            int v = (Integer) e.after().get("v");
            Integer before = last.put(key, v);
            assertThat(before == null || before <= v).as("%s: state v=%s after v=%s (%s)", key, v, before, e.op())
                    .isTrue();
        }
    }

    /** Changes both tables in short transactions until stopped, aiming at the chunk being read. */
    private final class Writer {
        final AtomicLong committed = new AtomicLong();
        final AtomicLong chunkRowsChanged = new AtomicLong();
        final AtomicLong deleted = new AtomicLong();
        final AtomicLong inserted = new AtomicLong();
        private final TestDatabase db;
        private final OffsetStore offsets;
        private final String name;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Random random = new Random(11);
        private Thread thread;
        private Throwable failure;
        private int nextId = ROWS;
        private int nextCode = TEXT_ROWS + 1;

        Writer(TestDatabase db, OffsetStore offsets, String name) {
            this.db = db;
            this.offsets = offsets;
            this.name = name;
        }

        void start() {
            thread = new Thread(() -> {
                try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    while (!stop.get()) {
                        step(c);
                        c.commit();
                        committed.incrementAndGet();
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }, "snapshot-writer");
            thread.start();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
            assertThat(failure).as("writer failure").isNull();
        }

        private void step(Connection c) throws SQLException {
            SnapshotProgress p = offsets.load(name).map(SnapshotProgress::from).orElse(null);
            // rows of the chunk being read: just after the last key the committed progress delivered
            if (p != null && p.after() != null) {
                List<String> k = nthAfter(c, p.table(), p.after(), random.nextInt(CHUNK));
                if (k != null) {
                    chunkRowsChanged.incrementAndGet();
                    change(c, p.table(), k, random.nextInt(4) == 0);
                }
            }
            // anywhere: before the snapshot's position, in it, after it
            for (int i = 0; i < 3; i++) {
                change(c, composite, List.of(String.valueOf(random.nextInt(4)), String.valueOf(random.nextInt(ROWS))),
                        random.nextInt(5) == 0);
                change(c, text, List.of(code(1 + random.nextInt(TEXT_ROWS))), random.nextInt(5) == 0);
            }
            // new keys: above the largest key when the snapshot began, and in the middle of the key range
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + composite.quoted()
                    + " (region, id, payload) VALUES (?, ?, 'new')")) {
                ps.setInt(1, 3);
                ps.setInt(2, ++nextId);
                ps.addBatch();
                ps.setInt(1, random.nextInt(3));
                ps.setInt(2, ++nextId);
                ps.addBatch();
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + text.quoted() + " (code) VALUES (?)")) {
                ps.setString(1, code(nextCode++));
                ps.executeUpdate();
            }
            inserted.addAndGet(3);
        }

        private String code(int g) throws SQLException {
            String md5;
            try {
                md5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
                        .digest(String.valueOf(g).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            return g % 2 == 0 ? md5.toUpperCase(java.util.Locale.ROOT) : md5;
        }

        private List<String> nthAfter(Connection c, TableId table, List<String> after, int n) throws SQLException {
            boolean isComposite = table.equals(composite);
            String sql = isComposite
                    ? "SELECT region::text, id::text FROM " + composite.quoted()
                    + " WHERE (region, id) > (?::int, ?::int) ORDER BY region, id LIMIT 1 OFFSET ?"
                    : "SELECT code FROM " + text.quoted() + " WHERE code > ? ORDER BY code LIMIT 1 OFFSET ?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                for (String a : after) {
                    ps.setString(i++, a);
                }
                ps.setInt(i, n);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    return isComposite ? List.of(rs.getString(1), rs.getString(2)) : List.of(rs.getString(1));
                }
            }
        }

        private void change(Connection c, TableId table, List<String> key, boolean delete) throws SQLException {
            String where = table.equals(composite) ? " WHERE region = ?::int AND id = ?::int" : " WHERE code = ?";
            String sql = delete ? "DELETE FROM " + table.quoted() + where
                    : "UPDATE " + table.quoted() + " SET v = v + 1, updated_at = clock_timestamp()" + where;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < key.size(); i++) {
                    ps.setString(i + 1, key.get(i));
                }
                if (ps.executeUpdate() > 0 && delete) {
                    deleted.incrementAndGet();
                }
            }
        }
    }

    /**
     * Samples the transactions of the source's sessions in {@code pg_stat_activity}: the age of
     * the oldest, and every {@code backend_xmin} seen.
     */
    static final class TransactionSampler {
        final AtomicLong maxAgeMillis = new AtomicLong();
        final AtomicLong samples = new AtomicLong();
        final Set<String> xmins = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final AtomicLong firstXmin = new AtomicLong(-1);
        final AtomicLong lastXmin = new AtomicLong(-1);
        private final TestDatabase db;
        private final String applicationName;
        private final AtomicBoolean stop = new AtomicBoolean();
        private Thread thread;
        private Throwable failure;

        TransactionSampler(TestDatabase db, String applicationName) {
            this.db = db;
            this.applicationName = applicationName;
        }

        void start() {
            thread = new Thread(() -> {
                try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                        "SELECT (extract(epoch FROM clock_timestamp() - xact_start) * 1000)::bigint, backend_xmin::text"
                                + " FROM pg_stat_activity WHERE application_name = ? AND xact_start IS NOT NULL")) {
                    ps.setString(1, applicationName);
                    while (!stop.get()) {
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                maxAgeMillis.accumulateAndGet(rs.getLong(1), Math::max);
                                if (rs.getString(2) != null) {
                                    xmins.add(rs.getString(2));
                                    firstXmin.compareAndSet(-1, Long.parseLong(rs.getString(2)));
                                    lastXmin.set(Long.parseLong(rs.getString(2)));
                                }
                            }
                        }
                        samples.incrementAndGet();
                        Thread.sleep(20);
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }, "transaction-sampler");
            thread.start();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
            assertThat(failure).as("sampler failure").isNull();
        }
    }
}
