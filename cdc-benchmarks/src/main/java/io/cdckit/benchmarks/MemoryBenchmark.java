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
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Heap while streaming many changes: {@link #rows} rows are inserted ({@link #rowsPerTransaction}
 * per transaction) faster than any strategy captures them, so the backlog waits in PostgreSQL and
 * only what the strategy holds in its bounded queues is on the heap. The fork runs with
 * {@code -Xmx256m}: finishing at all shows the strategy streams within 256 MB. Counters:
 * {@code peakHeapUsedMb} (sampled every 5 ms, garbage not yet collected included),
 * {@code peakHeapAfterGcMb} (the live set after collections), {@code maxHeapMb} and
 * {@code eventsPerSecond}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class MemoryBenchmark {

    @Param({"log", "log-pgoutput", "trigger-row", "trigger-statement", "timestamp", "debezium-raw"})
    public String strategy;

    @Param("1000000")
    public int rows;

    @Param("50000")
    public int rowsPerTransaction;

    private CaptureRig rig;
    private Capture capture;
    private Connection writer;
    private final CountingSink sink = new CountingSink();
    private long written;

    /** The heap figures of one iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Heap {
        public double peakHeapUsedMb;
        public double peakHeapAfterGcMb;
        public double maxHeapMb;
        public double eventsPerSecond;

        @Setup(Level.Iteration)
        public void clear() {
            peakHeapUsedMb = 0;
            peakHeapAfterGcMb = 0;
            maxHeapMb = 0;
            eventsPerSecond = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        Strategy s = Strategy.of(strategy);
        if (s == Strategy.NONE) {
            throw new IllegalArgumentException("Memory needs a capturing strategy");
        }
        rig = CaptureRig.start(s, sink);
        writer = rig.writer;
        capture = rig.capture;
        System.gc();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        if (rig != null) {
            rig.close();
        }
    }

    @Benchmark
    public void stream(Heap out) throws SQLException {
        sink.target(written + rows);
        long start = System.nanoTime();
        try (HeapSampler heap = new HeapSampler()) {
            Orders.bulkInsert(writer, written + 1, written + rows, rowsPerTransaction);
            written += rows;
            long end = sink.awaitTarget(Duration.ofMinutes(15), capture);
            heap.close();
            out.peakHeapUsedMb = heap.peakUsedBytes() / 1048576.0;
            out.peakHeapAfterGcMb = heap.peakAfterGcBytes() / 1048576.0;
            out.maxHeapMb = Runtime.getRuntime().maxMemory() / 1048576.0;
            out.eventsPerSecond = rows * 1e9 / (end - start);
        }
    }
}
