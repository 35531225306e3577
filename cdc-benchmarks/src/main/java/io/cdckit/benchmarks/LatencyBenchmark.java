package io.cdckit.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Commit to handler latency at a steady, moderate rate: one client inserts {@link #rate} rows per
 * second, each its own autocommit transaction, for {@link #seconds} seconds. Each row's latency
 * is measured from its commit time ({@code source.tsMs}, the server's clock on this host) where
 * the strategy reports it (log, raw Debezium), else from the writer's clock just after COMMIT
 * returned, to the moment the handler received it. Counters: {@code p50Ms}, {@code p99Ms},
 * {@code maxMs}, and {@code writerClockP99Ms} (always from the writer's clock), per iteration; the
 * report takes the median of five (a single 5 s iteration's p99 rests on its 50 slowest rows, so
 * one pause of the machine moves it by milliseconds).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class LatencyBenchmark {

    @Param({"log", "log-pgoutput", "trigger-row", "trigger-statement", "timestamp", "debezium-raw"})
    public String strategy;

    @Param("1000")
    public int rate;

    @Param("5")
    public int seconds;

    private CaptureRig rig;
    private Capture capture;
    private Connection writer;
    private PreparedStatement insert;
    private final LatencySink sink = new LatencySink();
    private long nextId = 1;

    /** The latency figures of one iteration, in milliseconds. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Latency {
        public double p50Ms;
        public double p99Ms;
        public double maxMs;
        public double writerClockP99Ms;

        @Setup(Level.Iteration)
        public void clear() {
            p50Ms = 0;
            p99Ms = 0;
            maxMs = 0;
            writerClockP99Ms = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        Strategy s = Strategy.of(strategy);
        if (s == Strategy.NONE) {
            throw new IllegalArgumentException("Latency needs a capturing strategy");
        }
        rig = CaptureRig.start(s, sink);
        writer = rig.writer;
        capture = rig.capture;
        insert = writer.prepareStatement(Orders.INSERT);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        if (rig != null) {
            rig.close();
        }
    }

    @Benchmark
    public void commitToHandler(Latency out) throws SQLException {
        int n = rate * seconds;
        long base = nextId;
        nextId += n;
        sink.expect(base, n);
        long[] committed = new long[n];
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + i * period;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            Orders.bindInsert(insert, base + i);
            insert.executeUpdate();
            committed[i] = System.nanoTime();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (sink.received() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Only " + sink.received() + " of " + n + " rows arrived within 60 s");
            }
            capture.checkHealthy();
            LockSupport.parkNanos(1_000_000);
        }
        long[] received = sink.receivedNanos();
        long[] fromCommit = sink.fromCommitMicros();
        double[] writerClock = new double[n];
        double[] primary = new double[n];
        for (int i = 0; i < n; i++) {
            writerClock[i] = Math.max(0, received[i] - committed[i]) / 1e6;
            primary[i] = fromCommit[i] >= 0 ? Math.max(0, fromCommit[i]) / 1e3 : writerClock[i];
        }
        Arrays.sort(writerClock);
        Arrays.sort(primary);
        out.p50Ms = percentile(primary, 0.50);
        out.p99Ms = percentile(primary, 0.99);
        out.maxMs = primary[n - 1];
        out.writerClockP99Ms = percentile(writerClock, 0.99);
    }

    private static double percentile(double[] sorted, double p) {
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
