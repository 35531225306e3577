package io.cdckit.kafka;

import io.cdckit.api.ChangeEvent;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A source publishing to Kafka in a child JVM is killed with SIGKILL while writers change rows,
 * and restarted each time from its file offset store. Afterwards the topic holds every committed
 * change, in per-key order, and duplicates come only from the batch in flight at each kill: at most
 * one batch per kill. Without transactions a {@code read_uncommitted} consumer reads the topic;
 * with them a {@code read_committed} one.
 */
@PostgresTest
class KilledPublisherTest {

    private static final int KILLS = 2;
    private static final int BATCH = 20;
    private static final int WRITERS = 3;

    @ParameterizedTest(name = "transactional={0}")
    @ValueSource(booleans = {false, true})
    void killedPublisherResumesWithEveryChangeInTheTopic(boolean transactional, TestDatabase db, @TempDir Path dir)
            throws Exception {
        long seed = Long.getLong("cdckit.kafka.seed", System.nanoTime());
        Random random = new Random(seed);
        String table = "killed_" + (transactional ? "tx" : "plain");
        db.execute("CREATE TABLE public." + table + " (id int PRIMARY KEY, v int NOT NULL)");
        TestKafka kafka = TestKafka.shared();
        String prefix = "kill" + (transactional ? "tx" : "plain");
        String topic = prefix + ".public." + table;
        kafka.createTopic(topic, 3);

        Properties p = new Properties();
        p.putAll(db.cdcProperties());
        p.put("cdc.mode", "trigger");
        p.put("cdc.name", table);
        p.put("cdc.tables", "public." + table);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.poll.interval", "50ms");
        p.put("cdc.batch.max-size", Integer.toString(BATCH));
        p.put("cdc.jmx.enabled", "false");
        Path offsets = dir.resolve("offsets.json");
        p.put("cdc.offset.store", "file:" + offsets);
        p.put("kafka.bootstrap", kafka.bootstrapServers());
        p.put("kafka.prefix", prefix);
        if (transactional) {
            p.put("kafka.transactional-id", table);
        }
        Path props = dir.resolve("source.properties");
        try (OutputStream out = Files.newOutputStream(props)) {
            p.store(out, null);
        }
        Path stderr = dir.resolve("child.err");

        Process child = startChild(props, stderr);
        Writers writers = new Writers(db, "public." + table, seed);
        writers.start();
        int kills = 0;
        List<Long> killedAt = new ArrayList<>();
        try {
            for (int k = 0; k < KILLS; k++) {
                awaitCommit(offsets, child, stderr);
                Thread.sleep(200 + random.nextInt(1200));
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
                killedAt.add(System.currentTimeMillis());
                kills++;
                child = startChild(props, stderr);
            }
            awaitCommit(offsets, child, stderr);
            Thread.sleep(500);
        } finally {
            writers.stop();
        }
        Map<Integer, List<String>> expected = writers.changes();
        int expectedCount = expected.values().stream().mapToInt(List::size).sum();
        assertThat(expectedCount).as("changes written").isGreaterThan(50);
        Set<String> wanted = new HashSet<>();
        expected.forEach((id, changes) -> changes.forEach(c -> wanted.add(id + "/" + c)));

        String isolation = transactional ? TopicReader.READ_COMMITTED : TopicReader.READ_UNCOMMITTED;
        Process last = child;
        try {
            List<TopicReader.Rec> records = TopicReader.readUntil(kafka.bootstrapServers(), topic, isolation, read -> {
                Set<String> seen = new HashSet<>();
                read.forEach(r -> seen.add(identity(r.event())));
                return seen.containsAll(wanted);
            }, Duration.ofSeconds(60));
            assertThat(last.isAlive()).as("publisher alive; stderr:%n%s", tail(stderr)).isTrue();

            Map<Integer, List<String>> published = new LinkedHashMap<>();
            Map<Integer, Set<Integer>> partitions = new HashMap<>();
            Set<String> seen = new HashSet<>();
            Map<String, Object> logIds = new HashMap<>();
            int[] duplicatesAfterKill = new int[kills];
            for (TopicReader.Rec r : records) {
                ChangeEvent e = r.event();
                int id = (Integer) e.key().get("id");
                published.computeIfAbsent(id, x -> new ArrayList<>()).add(change(e));
                partitions.computeIfAbsent(id, x -> new HashSet<>()).add(r.partition());
                assertThat(r.key()).isEqualTo("{\"id\":" + id + "}");
                Object logId = e.position().fields().get("id");
                Object firstLogId = logIds.putIfAbsent(identity(e), logId);
                if (firstLogId != null) {
                    // the position as a whole may differ between the copies; the change-log id does not
                    assertThat(logId).as("change-log id of both copies of %s", identity(e)).isEqualTo(firstLogId);
                }
                if (!seen.add(identity(e))) {
                    // a second copy was sent by a later publisher: the kill before it left its batch in flight
                    int k = kills - 1;
                    while (k >= 0 && killedAt.get(k) > r.timestamp()) {
                        k--;
                    }
                    assertThat(k).as("a duplicate sent before any kill: %s", r).isNotNegative();
                    duplicatesAfterKill[k]++;
                }
            }
            String context = "seed " + seed + ", " + kills + " kills, " + expectedCount + " changes, "
                    + records.size() + " records";

            List<String> lost = new ArrayList<>();
            List<String> invented = new ArrayList<>();
            List<String> outOfOrder = new ArrayList<>();
            int duplicates = 0;
            int replays = 0;
            for (Map.Entry<Integer, List<String>> e : expected.entrySet()) {
                List<String> got = published.getOrDefault(e.getKey(), List.of());
                List<String> firsts = new ArrayList<>(new LinkedHashSet<>(got));
                duplicates += got.size() - firsts.size();
                boolean complete = true;
                for (String c : e.getValue()) {
                    if (!firsts.contains(c)) {
                        lost.add(e.getKey() + "/" + c);
                        complete = false;
                    }
                }
                if (complete && !firsts.equals(e.getValue())) {
                    outOfOrder.add(e.getKey() + ": expected " + e.getValue() + ", got " + got);
                }
                replays += backwardSteps(got, e.getValue());
            }
            for (Map.Entry<Integer, List<String>> e : published.entrySet()) {
                for (String c : e.getValue()) {
                    if (!wanted.contains(e.getKey() + "/" + c)) {
                        invented.add(e.getKey() + "/" + c);
                    }
                }
            }
            assertThat(lost).as("lost, %s", context).isEmpty();
            assertThat(invented).as("invented, %s", context).isEmpty();
            assertThat(outOfOrder).as("out of order, %s", context).isEmpty();
            assertThat(partitions.values()).as("one partition per key").allSatisfy(s -> assertThat(s).hasSize(1));
            for (int k = 0; k < kills; k++) {
                assertThat(duplicatesAfterKill[k]).as("duplicates re-sent after kill %d: at most the batch in flight "
                        + "(%d events), %s", k + 1, BATCH, context).isLessThanOrEqualTo(BATCH);
            }
            assertThat(duplicates).isEqualTo(IntStream.of(duplicatesAfterKill).sum());
            assertThat(replays).as("keys stepping back (replays), at most one per kill and key in a batch, %s",
                    context).isLessThanOrEqualTo(kills * BATCH);
            System.out.println("SIGKILL of the publisher, transactional=" + transactional + ": " + context
                    + ", duplicates after each kill " + Arrays.toString(duplicatesAfterKill));
        } finally {
            last.destroyForcibly();
            last.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The event's row and change, as the writers record it: {@code id/op:v}. */
    private static String identity(ChangeEvent e) {
        return e.key().get("id") + "/" + change(e);
    }

    private static String change(ChangeEvent e) {
        return e.op().code() + ":" + e.row().get("v");
    }

    /** How often a key's record sequence goes back to a change it had already passed. */
    private static int backwardSteps(List<String> got, List<String> order) {
        int steps = 0;
        int previous = -1;
        for (String c : got) {
            int at = order.indexOf(c);
            if (at < previous) {
                steps++;
            }
            previous = at;
        }
        return steps;
    }

    private static Process startChild(Path props, Path stderr) throws Exception {
        Process p = PublishingChild.start(props, stderr);
        CompletableFuture<Boolean> started = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.equals(PublishingChild.STARTED)) {
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        });
        boolean ok;
        try {
            ok = started.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            ok = false;
        }
        if (!ok) {
            p.destroyForcibly();
            throw new AssertionError("publishing JVM did not start; stderr:\n" + tail(stderr));
        }
        return p;
    }

    /** Waits until the child committed a batch after it started (the offset file changed). */
    private static void awaitCommit(Path offsets, Process child, Path stderr) throws Exception {
        FileTime before = Files.exists(offsets) ? Files.getLastModifiedTime(offsets) : null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            FileTime now = Files.exists(offsets) ? Files.getLastModifiedTime(offsets) : null;
            if (now != null && !now.equals(before)) {
                return;
            }
            assertThat(child.isAlive()).as("publisher alive; stderr:%n%s", tail(stderr)).isTrue();
            assertThat(System.nanoTime()).as("a committed batch within 60 s; stderr:%n%s", tail(stderr))
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static String tail(Path file) {
        try {
            String s = Files.readString(file);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (Exception e) {
            return "(none)";
        }
    }

    /**
     * Writer threads on disjoint keys: each transaction inserts a new row ({@code v = 1}), updates
     * rows ({@code v + 1}) or deletes one; what committed is recorded per key, in commit order.
     */
    private static final class Writers {

        private final TestDatabase db;
        private final String table;
        private final long seed;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Map<Integer, List<String>> changes = Collections.synchronizedMap(new HashMap<>());
        private final List<CompletableFuture<Void>> running = new ArrayList<>();

        Writers(TestDatabase db, String table, long seed) {
            this.db = db;
            this.table = table;
            this.seed = seed;
        }

        void start() {
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                running.add(CompletableFuture.runAsync(() -> write(writer),
                        r -> new Thread(r, "writer-" + writer).start()));
            }
        }

        void stop() throws Exception {
            stop.set(true);
            for (CompletableFuture<Void> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        }

        Map<Integer, List<String>> changes() {
            synchronized (changes) {
                return new HashMap<>(changes);
            }
        }

        private void write(int writer) {
            Random random = new Random(seed + writer);
            List<Integer> live = new ArrayList<>();
            int next = writer * 100_000;
            try (Connection c = db.connect()) {
                c.setAutoCommit(false);
                while (!stop.get()) {
                    Map<Integer, List<String>> tx = new LinkedHashMap<>();
                    int ops = 1 + random.nextInt(3);
                    List<Integer> inserted = new ArrayList<>();
                    List<Integer> deleted = new ArrayList<>();
                    for (int i = 0; i < ops; i++) {
                        double r = random.nextDouble();
                        if (live.size() < 5 || r < 0.35) {
                            int id = next++;
                            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + table + " VALUES (?, 1)")) {
                                s.setInt(1, id);
                                s.executeUpdate();
                            }
                            live.add(id);
                            inserted.add(id);
                            tx.computeIfAbsent(id, x -> new ArrayList<>()).add("c:1");
                        } else {
                            int id = live.get(random.nextInt(live.size()));
                            boolean delete = r > 0.92;
                            String sql = delete ? "DELETE FROM " + table + " WHERE id = ? RETURNING v"
                                    : "UPDATE " + table + " SET v = v + 1 WHERE id = ? RETURNING v";
                            try (PreparedStatement s = c.prepareStatement(sql)) {
                                s.setInt(1, id);
                                try (ResultSet rs = s.executeQuery()) {
                                    rs.next();
                                    tx.computeIfAbsent(id, x -> new ArrayList<>())
                                            .add((delete ? "d:" : "u:") + rs.getInt(1));
                                }
                            }
                            if (delete) {
                                live.remove((Integer) id);
                                deleted.add(id);
                            }
                        }
                    }
                    if (random.nextInt(20) == 0) {
                        c.rollback();
                        live.removeAll(inserted);
                        deleted.forEach(id -> {
                            if (!inserted.contains(id)) {
                                live.add(id);
                            }
                        });
                    } else {
                        c.commit();
                        tx.forEach((id, list) -> changes.computeIfAbsent(id, x -> new ArrayList<>()).addAll(list));
                    }
                    Thread.sleep(15);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("writer " + writer + " failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
