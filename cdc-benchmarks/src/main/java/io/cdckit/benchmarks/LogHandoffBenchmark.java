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

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The log strategy's hand-off against raw Debezium, interleaved: both captures run in one fork,
 * each on a table of its own, and every iteration inserts {@code rows} rows for each, taking
 * turns on which goes first, so that a machine whose speed drifts during the run affects both
 * alike. Reports each one's events/s in the iteration and their ratio; the median of the ratios
 * over the iterations is the figure (the target: at least 1.0).
 *
 * <p>Run with {@code java -jar cdc-benchmarks/target/benchmarks.jar LogHandoffBenchmark -i 9}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 7)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class LogHandoffBenchmark {

    @Param("100000")
    public int rows;

    @Param("10000")
    public int rowsPerTransaction;

    private CaptureRig log;
    private CaptureRig raw;
    private final CountingSink logSink = new CountingSink();
    private final CountingSink rawSink = new CountingSink();
    private long logWritten;
    private long rawWritten;
    private int round;

    /** The counters of one iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Rates {
        public double logEventsPerSecond;
        public double rawEventsPerSecond;
        public double logToRaw;

        @Setup(Level.Iteration)
        public void clear() {
            logEventsPerSecond = 0;
            rawEventsPerSecond = 0;
            logToRaw = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        log = CaptureRig.start(Strategy.of("log"), logSink);
        raw = CaptureRig.start(Strategy.of("debezium-raw"), rawSink);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        if (log != null) {
            log.close();
        }
        if (raw != null) {
            raw.close();
        }
    }

    @Benchmark
    public void logAgainstRaw(Rates rates) throws SQLException {
        boolean logFirst = round++ % 2 == 0;
        if (logFirst) {
            rates.logEventsPerSecond = measureLog();
            rates.rawEventsPerSecond = measureRaw();
        } else {
            rates.rawEventsPerSecond = measureRaw();
            rates.logEventsPerSecond = measureLog();
        }
        rates.logToRaw = rates.logEventsPerSecond / rates.rawEventsPerSecond;
        System.out.printf("round %d (%s first): log %.0f events/s, raw Debezium %.0f events/s, %.2fx%n", round,
                logFirst ? "log" : "raw", rates.logEventsPerSecond, rates.rawEventsPerSecond, rates.logToRaw);
    }

    private double measureLog() throws SQLException {
        double rate = measure(log, logSink, logWritten);
        logWritten += rows;
        return rate;
    }

    private double measureRaw() throws SQLException {
        double rate = measure(raw, rawSink, rawWritten);
        rawWritten += rows;
        return rate;
    }

    private double measure(CaptureRig rig, CountingSink sink, long written) throws SQLException {
        sink.target(written + rows);
        long start = System.nanoTime();
        Orders.bulkInsert(rig.writer, written + 1, written + rows, rowsPerTransaction);
        long end = sink.awaitTarget(Duration.ofMinutes(10), rig.capture);
        return rows * 1e9 / (end - start);
    }
}
