package io.cdckit.faults;

import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresFixture;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Verification;
import io.cdckit.testkit.Workload;
import io.cdckit.testkit.WorkloadResult;
import org.junit.jupiter.api.AfterAll;
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
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The capturing JVM is killed with SIGKILL at random moments while a concurrent workload (long
 * transactions, rollbacks, hot rows) and 1 MB TOASTed rows with a column added mid-stream are
 * written, and restarted each time from its file offset store. Every committed change must arrive,
 * duplicates only from the batch in flight at a kill, in per-row order, and the events replayed on
 * a copy must give the source.
 */
class KilledCaptureTest {

    private static final FaultReport REPORT = new FaultReport("SIGKILL of the capturing JVM");
    private static final boolean LONG = FaultReport.longRun();
    private static final int KILLS = LONG ? 6 : 3;

    @AfterAll
    static void printReport() {
        REPORT.print();
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void killedCaptureResumesWithNothingLost(Strategy strategy, @TempDir Path dir) throws Exception {
        long seed = Long.getLong("cdckit.faults.seed", System.nanoTime());
        Random random = new Random(seed);
        try (TestDatabase db = PostgresFixture.server().createDatabase("faults_kill_" + strategy)) {
            FaultTables tables = new FaultTables(db::connect, "k");
            tables.create();
            Properties p = new Properties();
            p.putAll(db.cdcProperties());
            p.putAll(strategy.properties);
            p.put("cdc.name", strategy.sourceName("kill"));
            p.put("cdc.tables", tables.workload + "," + tables.blobs);
            p.put("cdc.snapshot.mode", "never");
            p.put("cdc.poll.interval", "50ms");
            p.put("cdc.batch.max-size", "50");
            p.put("cdc.offset.store", "file:" + dir.resolve("offsets.json"));
            Path props = dir.resolve("source.properties");
            try (OutputStream out = Files.newOutputStream(props)) {
                p.store(out, null);
            }
            Path stderr = dir.resolve("child.err");
            List<Path> journals = new ArrayList<>();

            Child child = Child.start(props, dir, 1, stderr, journals);
            int kills = 0;
            Workload.Running running = Workload.on(db::connect, tables.workload).threads(3)
                    .transactionsPerThread(LONG ? 600 : 120).pauseBetweenTransactions(Duration.ofMillis(25))
                    .longTransactions(2).longTransactionHold(Duration.ofMillis(1500)).seed(seed)
                    .timeout(Duration.ofMinutes(LONG ? 20 : 3)).start();
            WorkloadResult result;
            try {
                for (int k = 0; k < KILLS; k++) {
                    tables.blobRound(k);
                    child.awaitFirstBatch(Duration.ofSeconds(60));
                    Thread.sleep(300 + random.nextInt(2000));
                    child.kill();
                    kills++;
                    child = Child.start(props, dir, k + 2, stderr, journals);
                }
                tables.blobRound(KILLS);
                result = running.await();
            } finally {
                running.close();
            }

            Child last = child;
            try {
                List<Received> received = Convergence.await(() -> EventJournal.read(journals), tables, strategy,
                        Duration.ofSeconds(90), () -> assertThat(last.process.isAlive())
                                .as("capture alive; stderr:%n%s", tail(stderr)).isTrue());
                DeliveryAnalysis.Result r = DeliveryAnalysis.analyse(received, tables.history(),
                        strategy.seesEveryChange);
                REPORT.add(strategy, "sigkill x" + kills, r, 0, kills);
                List<Verification> v = Replay.verify(db::connect, List.of(tables.workload, tables.blobs), received);

                String context = "seed " + seed + ", " + result + ", samples " + r.samples();
                assertThat(r.lost()).as("lost, %s", context).isZero();
                assertThat(r.duplicatesOutsideInFlight()).as("duplicates outside the batch in flight, %s", context)
                        .isZero();
                assertThat(r.outOfOrder()).as("out of order, %s", context).isZero();
                assertThat(r.invented()).as("invented, %s", context).isZero();
                for (Verification each : v) {
                    assertThat(each.matches()).as(each.describe()).isTrue();
                }
            } finally {
                last.kill();
            }
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

    /** A running capture JVM and its journal. */
    private static final class Child {
        final Process process;
        final Path journal;
        final Path stderr;

        private Child(Process process, Path journal, Path stderr) {
            this.process = process;
            this.journal = journal;
            this.stderr = stderr;
        }

        static Child start(Path props, Path dir, int epoch, Path stderr, List<Path> journals) throws Exception {
            Path journal = dir.resolve("journal-" + epoch + ".jsonl");
            journals.add(journal);
            Process p = CaptureChild.start(props, journal, epoch, stderr);
            CompletableFuture<Boolean> started = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    boolean seen = false;
                    while ((line = r.readLine()) != null) {
                        if (line.equals(CaptureChild.STARTED)) {
                            seen = true;
                            break;
                        }
                    }
                    return seen;
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
                throw new AssertionError("capture JVM of epoch " + epoch + " did not start; stderr:\n" + tail(stderr));
            }
            return new Child(p, journal, stderr);
        }

        void awaitFirstBatch(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!Files.exists(journal) || Files.size(journal) == 0) {
                assertThat(process.isAlive()).as("capture alive; stderr:%n%s", tail(stderr)).isTrue();
                assertThat(System.nanoTime()).as("a first batch within %s", timeout).isLessThan(deadline);
                Thread.sleep(50);
            }
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
