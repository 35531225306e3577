package io.cdckit.faults;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.Verification;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Snapshots resume and start on demand: the capturing JVM killed with SIGKILL mid-snapshot
 * resumes at the chunk it was in (rows read twice at most a chunk, none lost); a snapshot asked
 * for with {@code ChangeSource.snapshot} while the source streams; one asked for by a row in the
 * signal table; a table added to {@code cdc.tables} backfilled on restart while the others are
 * not read again.
 */
@PostgresTest
class SnapshotResumeTest {

    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final int CHUNK = 1000;

    private TestDatabase db;
    private final List<AutoCloseable> closeables = new ArrayList<>();
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
    }

    private TableId table(String name, int rows) {
        TableId t = new TableId("public", name);
        db.execute("DROP TABLE IF EXISTS " + t.quoted(),
                "CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text, "
                        + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "INSERT INTO " + t.quoted() + " (id, v) SELECT g, 'v' || g FROM generate_series(1, " + rows + ") g");
        return t;
    }

    private Map<String, String> properties(Strategy strategy, String scope, String snapshotMode, TableId... tables) {
        Map<String, String> p = new LinkedHashMap<>(strategy.properties);
        p.putAll(db.cdcProperties());
        p.put("cdc.name", strategy.sourceName(scope));
        p.put("cdc.tables", String.join(",", java.util.Arrays.stream(tables).map(TableId::toString).toList()));
        p.put("cdc.snapshot.mode", snapshotMode);
        p.put("cdc.snapshot.chunk-size", Integer.toString(CHUNK));
        p.put("cdc.poll.interval", "20ms");
        return p;
    }

    private ChangeSource start(Map<String, String> p, OffsetStore store) {
        ChangeSource source = ChangeSources.builder(CdcConfig.from(p)).offsetStore(store).build();
        closeables.add(source);
        source.start(received::addAll);
        return source;
    }

    private List<Object> readKeys(TableId t) {
        return received.stream().filter(e -> e.op() == Op.READ && e.table().equals(t)).map(e -> e.key().get("id"))
                .toList();
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "LOG_PGOUTPUT", "TRIGGER_ROW", "TIMESTAMP"})
    void aKilledCaptureResumesItsSnapshotAtTheChunkItWasIn(Strategy strategy, @TempDir Path dir) throws Exception {
        int rows = 30_000;
        TableId t = table("resumed", rows);
        ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, t, "replica_resumed");
        closeables.add(verifier);
        Properties p = new Properties();
        p.putAll(properties(strategy, "resume", "initial", t));
        p.put("cdc.batch.max-size", "500");
        p.put("cdc.offset.store", "file:" + dir.resolve("offsets.json"));
        Path props = dir.resolve("source.properties");
        try (OutputStream out = Files.newOutputStream(props)) {
            p.store(out, null);
        }
        Path stderr = dir.resolve("child.err");
        List<Path> journals = List.of(dir.resolve("journal-1.jsonl"), dir.resolve("journal-2.jsonl"));

        Process first = startChild(props, journals.get(0), 1, stderr);
        // writers update, delete and insert rows while the snapshot runs, across the kill and the restart:
        // rows of the chunks being read among them (the first chunk is left alone, see below)
        RowWriter writer = new RowWriter(t, rows);
        closeables.add(writer);
        writer.start();
        try {
            // a few chunks in, checked often: a fast machine reads the whole table within a second, and
            // reading a long journal to check takes a while
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
                    .until(() -> reads(List.of(journals.get(0))) >= 3 * CHUNK);
        } finally {
            first.destroyForcibly();
            first.waitFor(30, TimeUnit.SECONDS);
        }
        long readBeforeKill = reads(List.of(journals.get(0)));
        assertThat(readBeforeKill).as("killed mid-snapshot").isLessThan(rows);

        Process second = startChild(props, journals.get(1), 2, stderr);
        try {
            await().atMost(WAIT).pollDelay(Duration.ofSeconds(1)).until(() -> reads(journals) >= rows / 2);
            writer.close();
            assertThat(writer.writes()).as("writes across the kill").isPositive();
            // the journals replayed in order into the replica: it ends equal to the table
            verifier.apply(events(List.of(journals.get(0))));
            int[] applied = {0};
            await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                List<ChangeEvent> resumed = events(List.of(journals.get(1)));
                verifier.apply(resumed.subList(applied[0], resumed.size()));
                applied[0] = resumed.size();
                Verification v = verifier.verify();
                assertThat(v.matches()).as(v.describe()).isTrue();
            });
        } finally {
            second.destroyForcibly();
            second.waitFor(30, TimeUnit.SECONDS);
        }
        List<Object> all = readKeyList(journals);
        assertThat(all.size() - new HashSet<>(all).size()).as("rows read twice: at most the chunk in flight")
                .isLessThanOrEqualTo(CHUNK);
        List<Object> afterRestart = readKeyList(List.of(journals.get(1)));
        assertThat(afterRestart).as("the restart did not start over").doesNotContain(1).isNotEmpty();
    }

    /**
     * Updates, deletes and inserts rows of a table from a thread of its own, one statement a
     * transaction, until closed; the first chunk's rows are left alone, so that a snapshot that
     * started over would show by reading row 1 again.
     */
    private final class RowWriter implements AutoCloseable {
        private final TableId table;
        private final int rows;
        private final java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        private final java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        private final Thread thread;

        RowWriter(TableId table, int rows) {
            this.table = table;
            this.rows = rows;
            this.thread = new Thread(this::run, "row-writer");
        }

        void start() {
            thread.start();
        }

        int writes() {
            return writes.get();
        }

        private void run() {
            java.util.Random random = new java.util.Random(20261203);
            int next = rows;
            while (running.get()) {
                int id = CHUNK + 1 + random.nextInt(rows - CHUNK);
                switch (writes.get() % 3) {
                    case 0 -> db.execute("UPDATE " + table.quoted() + " SET v = 'w" + writes.get()
                            + "', updated_at = clock_timestamp() WHERE id = " + id);
                    case 1 -> db.execute("DELETE FROM " + table.quoted() + " WHERE id = " + id);
                    default -> db.execute("INSERT INTO " + table.quoted() + " (id, v) VALUES (" + (++next) + ", 'new')");
                }
                writes.incrementAndGet();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    private static List<ChangeEvent> events(List<Path> journals) throws Exception {
        List<Path> existing = journals.stream().filter(Files::exists).toList();
        return EventJournal.read(existing).stream().map(Received::event).toList();
    }

    private static long reads(List<Path> journals) throws Exception {
        return readKeyList(journals).size();
    }

    private static List<Object> readKeyList(List<Path> journals) throws Exception {
        List<Path> existing = journals.stream().filter(Files::exists).toList();
        return EventJournal.read(existing).stream().map(Received::event).filter(e -> e.op() == Op.READ)
                .map(e -> e.key().get("id")).toList();
    }

    private static Process startChild(Path props, Path journal, int epoch, Path stderr) throws Exception {
        Process p = CaptureChild.start(props, journal, epoch, stderr);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.equals(CaptureChild.STARTED)) {
                // wait for the source to run
            }
            assertThat(line).as("child started; stderr: %s", Files.exists(stderr) ? Files.readString(stderr) : "")
                    .isEqualTo(CaptureChild.STARTED);
        }
        return p;
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "TRIGGER_ROW", "TIMESTAMP"})
    void aSnapshotAskedForWhileStreamingAndOneSignalledThroughTheTable(Strategy strategy) {
        TableId t = table("on_demand", 5_000);
        Map<String, String> p = properties(strategy, "demand", "never", t);
        p.put("cdc.signal.table", "cdckit_signals.signals");
        p.put("cdc.signal.interval", "100ms");
        ChangeSource source = start(p, OffsetStores.memory());
        db.execute("INSERT INTO " + t.quoted() + " (id, v) VALUES (100001, 'streamed')");
        await().atMost(WAIT).until(() -> received.stream().anyMatch(e -> e.op() == Op.CREATE));
        assertThat(readKeys(t)).as("no snapshot with cdc.snapshot.mode=never").isEmpty();

        source.snapshot(t);
        db.execute("UPDATE " + t.quoted() + " SET v = 'during', updated_at = clock_timestamp() WHERE id = 2");
        await().atMost(WAIT).until(() -> new HashSet<>(readKeys(t)).size() == 5_001);
        assertThat(received).as("streaming went on").anyMatch(e -> e.op() == Op.UPDATE && e.key().get("id").equals(2));

        received.clear();
        db.execute("INSERT INTO cdckit_signals.signals (source_name, type, data) VALUES ('"
                + source.config().name() + "', 'execute-snapshot', '{\"data-collections\": [\"public.on_demand\"]}')");
        await().atMost(WAIT).until(() -> new HashSet<>(readKeys(t)).size() == 5_001);
        await().atMost(WAIT).until(() -> "1".equals(db.queryForString(
                "SELECT count(*) FROM cdckit_signals.signals WHERE source_name = '" + source.config().name()
                        + "' AND processed_at IS NOT NULL AND result LIKE 'snapshot of%'")));
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "TRIGGER_ROW", "TIMESTAMP"})
    void aTableAddedToTheConfigIsBackfilledOnRestartAndTheOthersAreNotReadAgain(Strategy strategy) {
        TableId first = table("first_table", 2_000);
        TableId added = table("added_table", 3_000);
        OffsetStore store = OffsetStores.memory();
        ChangeSource one = start(properties(strategy, "added", "initial", first), store);
        await().atMost(WAIT).until(() -> new HashSet<>(readKeys(first)).size() == 2_000);
        await().atMost(WAIT).until(() -> one.status().snapshot() == null);
        one.close();

        received.clear();
        start(properties(strategy, "added", "initial", first, added), store);
        db.execute("INSERT INTO " + first.quoted() + " (id, v) VALUES (90001, 'new')");
        await().atMost(WAIT).until(() -> new HashSet<>(readKeys(added)).size() == 3_000);
        await().atMost(WAIT).until(() -> received.stream().anyMatch(e -> e.op() == Op.CREATE && e.table().equals(first)));
        assertThat(readKeys(first)).as("the table captured before is not snapshotted again").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(names = {"LOG", "TRIGGER_ROW", "TIMESTAMP"})
    void aTableRemovedFromTheConfigMidSnapshotIsDroppedFromIt(Strategy strategy) {
        TableId removed = table("removed_table", 100_000);
        TableId kept = table("kept_table", 1_500);
        OffsetStore store = OffsetStores.memory();
        Map<String, String> both = properties(strategy, "removed", "initial", removed, kept);
        both.put("cdc.batch.max-size", "500");
        ChangeSource one = start(both, store);
        await().atMost(WAIT).until(() -> readKeys(removed).size() >= 2_000);
        one.close();
        assertThat(readKeys(kept)).as("stopped before the second table").isEmpty();

        received.clear();
        start(properties(strategy, "removed", "initial", kept), store);
        await().atMost(WAIT).until(() -> new HashSet<>(readKeys(kept)).size() == 1_500);
        assertThat(readKeys(removed)).as("the removed table is not read any more").isEmpty();
    }
}
