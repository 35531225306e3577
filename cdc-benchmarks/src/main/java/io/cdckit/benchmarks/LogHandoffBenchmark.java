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

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The log strategy's hand-off against raw Debezium, interleaved: both captures run in one fork,
 * each on a table of its own, and every iteration inserts {@code rows} rows for each, taking
 * turns on which goes first, so that a machine whose speed drifts during the run affects both
 * alike. Reports each one's events/s in the iteration and their ratio; the median of the ratios
 * over the iterations is the figure (the target: at least 1.0).
 *
 * <p>Each measurement also records the CPU it cost per event: the whole JVM's (both captures run in
 * it; the one not measured idles), the part of it that cdckit's delivery threads used (converting
 * Debezium's records and delivering them; raw Debezium's consumer only counts), and the replication
 * slots' walsenders on the server. On a machine whose cores the capture saturates, the ratio of the
 * two captures' CPU per event bounds the ratio of their rates.
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
    private BackendCpu walsenders;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** CPU used by one measurement, per event, in microseconds. */
    private record Cost(double rate, double jvm, double delivery, double walsender) {
    }

    /** The counters of one iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Rates {
        public double logEventsPerSecond;
        public double rawEventsPerSecond;
        public double logToRaw;
        public double logJvmMicrosPerEvent;
        public double logDeliveryMicrosPerEvent;
        public double logWalsenderMicrosPerEvent;
        public double rawJvmMicrosPerEvent;
        public double rawWalsenderMicrosPerEvent;

        @Setup(Level.Iteration)
        public void clear() {
            logEventsPerSecond = 0;
            rawEventsPerSecond = 0;
            logToRaw = 0;
            logJvmMicrosPerEvent = 0;
            logDeliveryMicrosPerEvent = 0;
            logWalsenderMicrosPerEvent = 0;
            rawJvmMicrosPerEvent = 0;
            rawWalsenderMicrosPerEvent = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        log = CaptureRig.start(Strategy.of("log"), logSink);
        raw = CaptureRig.start(Strategy.of("debezium-raw"), rawSink);
        List<Long> pids = new ArrayList<>();
        try (Connection c = log.orders.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pid FROM pg_catalog.pg_stat_replication")) {
            while (rs.next()) {
                pids.add(rs.getLong(1));
            }
        }
        walsenders = BackendCpu.of(pids);
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
        Cost l;
        Cost r;
        if (logFirst) {
            l = measureLog();
            r = measureRaw();
        } else {
            r = measureRaw();
            l = measureLog();
        }
        rates.logEventsPerSecond = l.rate();
        rates.rawEventsPerSecond = r.rate();
        rates.logToRaw = l.rate() / r.rate();
        rates.logJvmMicrosPerEvent = l.jvm();
        rates.logDeliveryMicrosPerEvent = l.delivery();
        rates.logWalsenderMicrosPerEvent = l.walsender();
        rates.rawJvmMicrosPerEvent = r.jvm();
        rates.rawWalsenderMicrosPerEvent = r.walsender();
        System.out.printf("round %d (%s first): log %.0f events/s, raw Debezium %.0f events/s, %.2fx; CPU µs/event: "
                        + "log JVM %.1f (delivery %.1f) + walsenders %.1f, raw JVM %.1f + walsenders %.1f%n", round,
                logFirst ? "log" : "raw", l.rate(), r.rate(), rates.logToRaw, l.jvm(), l.delivery(), l.walsender(),
                r.jvm(), r.walsender());
    }

    private Cost measureLog() throws SQLException {
        Cost c = measure(log, logSink, logWritten);
        logWritten += rows;
        return c;
    }

    private Cost measureRaw() throws SQLException {
        Cost c = measure(raw, rawSink, rawWritten);
        rawWritten += rows;
        return c;
    }

    private Cost measure(CaptureRig rig, CountingSink sink, long written) throws SQLException {
        sink.target(written + rows);
        long jvm = os.getProcessCpuTime();
        long delivery = deliveryCpuNanos();
        double server = walsenders.micros();
        long start = System.nanoTime();
        Orders.bulkInsert(rig.writer, written + 1, written + rows, rowsPerTransaction);
        long end = sink.awaitTarget(Duration.ofMinutes(10), rig.capture);
        return new Cost(rows * 1e9 / (end - start), (os.getProcessCpuTime() - jvm) / 1e3 / rows,
                (deliveryCpuNanos() - delivery) / 1e3 / rows, (walsenders.micros() - server) / rows);
    }

    /** CPU time used so far by cdckit's delivery threads (named {@code cdckit-<source>}). */
    private long deliveryCpuNanos() {
        long sum = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("cdckit-") && !t.getThreadName().startsWith("cdckit-log-")) {
                long cpu = threads.getThreadCpuTime(t.getThreadId());
                sum += Math.max(0, cpu);
            }
        }
        return sum;
    }
}
