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
 * How fast a strategy moves changes from commit to handler: {@link #rows} rows are inserted as
 * fast as the server takes them ({@link #rowsPerTransaction} per transaction) while the capture
 * runs, and the time runs from the first write to the handler receiving the last row. The score
 * is that time; the {@code eventsPerSecond} counter is rows divided by it, {@code writerRowsPerSecond}
 * the rate at which the rows were written. For {@code none} only the write is timed: the fastest
 * this writer goes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class CaptureThroughputBenchmark {

    @Param({"none", "log", "log-pgoutput", "trigger-row", "trigger-statement", "timestamp", "debezium-raw"})
    public String strategy;

    @Param("100000")
    public int rows;

    @Param("10000")
    public int rowsPerTransaction;

    private CaptureRig rig;
    private Capture capture;
    private Connection writer;
    private final CountingSink sink = new CountingSink();
    private long written;

    /** The counters of one iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Rates {
        public double eventsPerSecond;
        public double writerRowsPerSecond;

        @Setup(Level.Iteration)
        public void clear() {
            eventsPerSecond = 0;
            writerRowsPerSecond = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        Strategy s = Strategy.of(strategy);
        rig = CaptureRig.start(s, sink);
        writer = rig.writer;
        capture = rig.capture;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        if (rig != null) {
            rig.close();
        }
    }

    @Benchmark
    public void commitToHandler(Rates rates) throws SQLException {
        boolean capturing = Strategy.of(strategy) != Strategy.NONE;
        sink.target(written + rows);
        long start = System.nanoTime();
        Orders.bulkInsert(writer, written + 1, written + rows, rowsPerTransaction);
        long writeEnd = System.nanoTime();
        written += rows;
        long end = capturing ? sink.awaitTarget(Duration.ofMinutes(10), capture) : writeEnd;
        rates.writerRowsPerSecond = rows * 1e9 / (writeEnd - start);
        rates.eventsPerSecond = capturing ? rows * 1e9 / (end - start) : 0;
    }
}
