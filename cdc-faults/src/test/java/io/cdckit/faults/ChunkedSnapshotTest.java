package io.cdckit.faults;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Verification;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A chunked snapshot of a large table while writers insert, update and delete its rows (rows of
 * the chunk being read among them, and keys beyond the largest one when the snapshot began),
 * applied by the {@link ReplicaVerifier} as it arrives: the replica equals the table, with a
 * composite key and with a text key; no transaction of the source lasts longer than a chunk, and
 * its sessions' {@code backend_xmin} moves on while the snapshot runs.
 */
@PostgresTest
class ChunkedSnapshotTest {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkedSnapshotTest.class);
    /** A million rows in the longer run; a build's run keeps CI short. */
    private static final int LARGE = Integer.getInteger("cdckit.snapshot.rows",
            FaultReport.longRun() ? 1_000_000 : 300_000);
    private static final int SMALL = FaultReport.longRun() ? 100_000 : 50_000;
    private static final Duration WAIT = Duration.ofMinutes(5);

    private TestDatabase db;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp(TestDatabase database) {
        this.db = database;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** The table's shape: its key, and how a key is made from a number. */
    enum Keys {
        /** {@code (region int, code text)}. */
        COMPOSITE("region int NOT NULL, code text NOT NULL, PRIMARY KEY (region, code)",
                "region, code", "g % 97, 'c' || g"),
        /** A text key of mixed case, ordered by its collation. */
        TEXT("code text PRIMARY KEY", "code", "CASE WHEN g % 2 = 0 THEN 'K' ELSE 'k' END || lpad(g::text, 8, '0')");

        final String keyDdl;
        final String keyColumns;
        final String keyOf;

        Keys(String keyDdl, String keyColumns, String keyOf) {
            this.keyDdl = keyDdl;
            this.keyColumns = keyColumns;
            this.keyOf = keyOf;
        }
    }

    /**
     * The longer fault run ({@code -Dcdckit.faults.long=true}) snapshots a million rows with each key
     * on every strategy, log engine and trigger flavour. The default run keeps CI short: 300 000
     * rows with the composite key for log, trigger and timestamp polling, and the text key at 50 000
     * rows on each.
     */
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        boolean full = FaultReport.longRun();
        for (Strategy s : List.of(Strategy.LOG, Strategy.LOG_PGOUTPUT, Strategy.TRIGGER_ROW, Strategy.TRIGGER_STATEMENT,
                Strategy.TIMESTAMP)) {
            if (full) {
                out.add(Arguments.of(s, Keys.COMPOSITE, LARGE));
                out.add(Arguments.of(s, Keys.TEXT, LARGE));
                continue;
            }
            if (s != Strategy.TRIGGER_STATEMENT && s != Strategy.LOG_PGOUTPUT) {
                out.add(Arguments.of(s, Keys.COMPOSITE, LARGE));
            }
            out.add(Arguments.of(s, Keys.TEXT, SMALL));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} rows")
    @MethodSource("cases")
    void aLargeTableSnapshottedUnderConcurrentWritesReplicatesExactly(Strategy strategy, Keys keys, int rows)
            throws Exception {
        TableId table = new TableId("public", "big_" + keys.name().toLowerCase());
        db.execute("DROP TABLE IF EXISTS " + table.quoted(),
                "CREATE TABLE " + table.quoted() + " (" + keys.keyDdl + ", n bigint NOT NULL, note text, "
                        + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "INSERT INTO " + table.quoted() + " (" + keys.keyColumns + ", n, note) SELECT " + keys.keyOf
                        + ", g, 'row ' || g FROM generate_series(1, " + rows + ") g",
                "ANALYZE " + table.quoted());
        if (strategy == Strategy.TIMESTAMP && keys == Keys.COMPOSITE) {
            // the index timestamp polling asks for; the text-keyed table goes without it, so its polls read
            // the whole table, which must not hold the snapshot back
            db.execute("CREATE INDEX ON " + table.quoted() + " (updated_at, " + keys.keyColumns + ")");
        }
        ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica");
        closeables.add(verifier);

        Map<String, String> p = new LinkedHashMap<>(strategy.properties);
        p.putAll(db.cdcProperties());
        String name = strategy.sourceName("big_" + keys.name().toLowerCase());
        p.put("cdc.name", name);
        p.put("cdc.tables", table.toString());
        p.put("cdc.snapshot.mode", "initial");
        p.put("cdc.snapshot.chunk-size", "2048");
        p.put("cdc.batch.max-size", "2048");
        p.put("cdc.poll.interval", "20ms");
        if (strategy == Strategy.TIMESTAMP) {
            // comparing a million keys takes a while: reconcile now and then, as a large table would be
            p.put("cdc.timestamp.reconcile.every-polls", "200");
        }
        ChangeSource source = ChangeSources.create(CdcConfig.from(p));
        closeables.add(source);
        AtomicLong reads = new AtomicLong();
        source.start(batch -> {
            verifier.apply(batch);
            reads.addAndGet(batch.stream().filter(e -> e.op() == Op.READ).count());
        });

        Writers writers = new Writers(table, keys, rows);
        closeables.add(writers);
        writers.start();
        Set<Long> xmins = new HashSet<>();
        Long firstXmin = null;
        Long lastXmin = null;
        long longestTransactionMs = 0;
        long started = System.nanoTime();
        while (source.status().snapshot() != null || reads.get() == 0) {
            assertThat(source.status().state()).as("source state").isNotEqualTo(SourceStatus.State.FAILED);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("snapshot time").isLessThan(WAIT);
            Sample s = sample(name);
            xmins.addAll(s.xmins);
            if (!s.xmins.isEmpty()) {
                long oldest = Collections.min(s.xmins);
                firstXmin = firstXmin == null ? oldest : firstXmin;
                lastXmin = oldest;
            }
            longestTransactionMs = Math.max(longestTransactionMs, s.longestTransactionMs);
            Thread.sleep(50);
        }
        writers.close();
        LOG.info("{} {}: snapshot of {} rows in {} ms, {} writes meanwhile", strategy, keys, reads.get(),
                (System.nanoTime() - started) / 1_000_000, writers.writes.get());

        assertThat(writers.writes.get()).as("writes during the snapshot").isPositive();
        assertThat(longestTransactionMs).as("longest transaction of the source while it snapshotted")
                .isLessThan(5_000);
        if (xmins.size() > 1) {
            // the oldest snapshot any session of the source holds moves on: nothing pins the xmin horizon
            assertThat(lastXmin).as("oldest backend_xmin of the source's sessions, last sample against first")
                    .isGreaterThan(firstXmin);
        } else {
            assertThat(rows).as("a snapshot this long is sampled many times, so backend_xmin must move")
                    .isLessThan(300_000);
        }
        assertThat(reads.get()).as("rows read twice are bounded").isLessThanOrEqualTo(rows + writers.inserted.get());
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();
        });
    }

    private record Sample(Set<Long> xmins, long longestTransactionMs) {
    }

    /** The source's sessions now: their backend_xmin and how long their transactions have been open. */
    private Sample sample(String sourceName) throws SQLException {
        Set<Long> xmins = new HashSet<>();
        long longest = 0;
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT backend_xmin::text::bigint, (extract(epoch FROM clock_timestamp() - xact_start) * 1000)::bigint "
                        + "FROM pg_catalog.pg_stat_activity WHERE datname = current_database() "
                        + "AND application_name = ? AND xact_start IS NOT NULL")) {
            ps.setString(1, "cdckit:" + sourceName);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long xmin = rs.getLong(1);
                    if (!rs.wasNull()) {
                        xmins.add(xmin);
                    }
                    longest = Math.max(longest, rs.getLong(2));
                }
            }
        }
        return new Sample(xmins, longest);
    }

    /** Two writers updating, deleting and inserting rows all over the key range and beyond it. */
    private final class Writers implements AutoCloseable {
        private final TableId table;
        private final Keys keys;
        private final int rows;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong inserted = new AtomicLong();
        private volatile Throwable failure;

        Writers(TableId table, Keys keys, int rows) {
            this.table = table;
            this.keys = keys;
            this.rows = rows;
        }

        void start() {
            for (int t = 0; t < 2; t++) {
                long seed = 31L * t + rows;
                Thread thread = new Thread(() -> run(new Random(seed)), "writer-" + t);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        private void run(Random random) {
            String where = "(" + keys.keyColumns + ") = (SELECT " + keys.keyOf + " FROM (SELECT ?::int AS g) x)";
            try (Connection c = db.connect()) {
                c.setAutoCommit(false);
                try (PreparedStatement update = c.prepareStatement("UPDATE " + table.quoted()
                        + " SET n = n + 1, note = 'updated', updated_at = clock_timestamp() WHERE " + where);
                     PreparedStatement delete = c.prepareStatement("DELETE FROM " + table.quoted() + " WHERE " + where);
                     PreparedStatement insert = c.prepareStatement("INSERT INTO " + table.quoted() + " ("
                             + keys.keyColumns + ", n, note) SELECT " + keys.keyOf + ", g, 'inserted' FROM "
                             + "(SELECT ?::int AS g) x ON CONFLICT DO NOTHING")) {
                    while (!stop.get()) {
                        for (int i = 0; i < 10; i++) {
                            int op = random.nextInt(10);
                            if (op < 2) {
                                int beyond = rows + 1 + random.nextInt(rows / 20 + 1);
                                insert.setInt(1, beyond);
                                inserted.addAndGet(insert.executeUpdate());
                            } else if (op < 4) {
                                delete.setInt(1, 1 + random.nextInt(rows));
                                delete.executeUpdate();
                            } else {
                                update.setInt(1, 1 + random.nextInt(rows));
                                update.executeUpdate();
                            }
                            writes.incrementAndGet();
                        }
                        c.commit();
                        Thread.sleep(10);
                    }
                }
            } catch (Throwable e) {
                failure = e;
            }
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            if (failure != null) {
                throw new AssertionError("writer failed", failure);
            }
        }
    }
}
