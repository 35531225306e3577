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
import org.openjdk.jmh.annotations.Timeout;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Snapshot of a large table, cdckit's strategies side by side with Debezium's initial and
 * incremental snapshots ({@link SnapshotVariant}), idle and under a concurrent writer, measured
 * interleaved: every variant has its own database on the same server with an orders table of
 * {@link #rows} rows, and each measured iteration is one round in which every variant of
 * {@link #idle} takes a fresh snapshot of its table with nothing else writing to it, and every
 * variant of {@link #writer} one while {@link SnapshotWriter} writes {@link #writesPerSecond}
 * single-row updates, inserts and deletes per second to it; each round starts with the next
 * variant, and the load that goes first alternates. A machine whose speed drifts during the run so
 * affects every variant alike. Before the rounds, every variant takes one snapshot of a table of
 * {@link #warmupRows} rows, so that each path is compiled.
 *
 * <p>A snapshot's time runs from creating the source (or the engine) until the handler, which
 * only counts, holds the last row of the table ({@link SnapshotSink}); the counters
 * {@code <variant><Load>RowsPerSecond} are {@link #rows} divided by it. A fresh source does all it
 * does on a first start within that time: the trigger strategy installs its triggers, the log
 * strategy and Debezium create their replication slot, Debezium's incremental snapshot waits for
 * its engine to stream before its signal is inserted. After each snapshot the source is closed and
 * what it left in the database is dropped. The fork runs with {@code -Xmx256m}: the counters
 * {@code <variant><Load>PeakHeapMb} (heap in use, sampled every 5 ms, garbage not yet collected
 * included) and {@code <variant><Load>LiveHeapMb} (the live set after collections) are the peaks
 * during each snapshot, from a collection just before it. {@code <variant>WriterWritesPerSecond}
 * is the rate the writer kept during that variant's snapshot, {@code writerWritesPerSecond} its
 * mean over the round. A variant not measured under a load leaves its counters at 0.
 *
 * <p>The default lists keep a run of three rounds of a million rows within about a quarter of an
 * hour on two cores: Debezium's incremental snapshot at its own default chunk size, the slowest
 * snapshot here, is measured idle only ({@code -p writer=...} adds it); under the writer Debezium's
 * incremental snapshot runs with cdckit's chunk size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 3)
@Timeout(time = 60, timeUnit = TimeUnit.MINUTES)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class SnapshotBenchmark {

    /** The longest a single snapshot may take before the run fails. */
    static final Duration SNAPSHOT_TIMEOUT = Duration.ofMinutes(10);
    /** How long the writer writes before the snapshot starts, so that it runs at its rate. */
    private static final long WRITER_LEAD_MILLIS = 500;

    /** The variants measured idle, comma-separated, in the order of the first round; {@code none} for none. */
    @Param("log,trigger,timestamp,debezium-initial,debezium-incremental,debezium-incremental-same-chunk,"
            + "trigger-1024,trigger-16384")
    public String idle;

    /** The variants measured under the concurrent writer, comma-separated; {@code none} for none. */
    @Param("log,trigger,timestamp,debezium-initial,debezium-incremental-same-chunk,trigger-1024,trigger-16384")
    public String writer;

    @Param("1000000")
    public int rows;

    @Param("600")
    public int writesPerSecond;

    /** Rows of the table each variant snapshots once before the rounds; 0: no warm-up. */
    @Param("20000")
    public int warmupRows;

    private final List<Target> targets = new ArrayList<>();
    private int round;
    private int runs;

    /** Rows/s, peak heap and writer rate of each variant and load, named {@code <variant><Load><Figure>}. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Snapshots {
        public double logIdleRowsPerSecond;
        public double logIdlePeakHeapMb;
        public double logIdleLiveHeapMb;
        public double logWriterRowsPerSecond;
        public double logWriterPeakHeapMb;
        public double logWriterLiveHeapMb;
        public double triggerIdleRowsPerSecond;
        public double triggerIdlePeakHeapMb;
        public double triggerIdleLiveHeapMb;
        public double triggerWriterRowsPerSecond;
        public double triggerWriterPeakHeapMb;
        public double triggerWriterLiveHeapMb;
        public double timestampIdleRowsPerSecond;
        public double timestampIdlePeakHeapMb;
        public double timestampIdleLiveHeapMb;
        public double timestampWriterRowsPerSecond;
        public double timestampWriterPeakHeapMb;
        public double timestampWriterLiveHeapMb;
        public double debeziumInitialIdleRowsPerSecond;
        public double debeziumInitialIdlePeakHeapMb;
        public double debeziumInitialIdleLiveHeapMb;
        public double debeziumInitialWriterRowsPerSecond;
        public double debeziumInitialWriterPeakHeapMb;
        public double debeziumInitialWriterLiveHeapMb;
        public double debeziumIncrementalIdleRowsPerSecond;
        public double debeziumIncrementalIdlePeakHeapMb;
        public double debeziumIncrementalIdleLiveHeapMb;
        public double debeziumIncrementalWriterRowsPerSecond;
        public double debeziumIncrementalWriterPeakHeapMb;
        public double debeziumIncrementalWriterLiveHeapMb;
        public double debeziumIncrementalSameChunkIdleRowsPerSecond;
        public double debeziumIncrementalSameChunkIdlePeakHeapMb;
        public double debeziumIncrementalSameChunkIdleLiveHeapMb;
        public double debeziumIncrementalSameChunkWriterRowsPerSecond;
        public double debeziumIncrementalSameChunkWriterPeakHeapMb;
        public double debeziumIncrementalSameChunkWriterLiveHeapMb;
        public double trigger1024IdleRowsPerSecond;
        public double trigger1024IdlePeakHeapMb;
        public double trigger1024IdleLiveHeapMb;
        public double trigger1024WriterRowsPerSecond;
        public double trigger1024WriterPeakHeapMb;
        public double trigger1024WriterLiveHeapMb;
        public double trigger16384IdleRowsPerSecond;
        public double trigger16384IdlePeakHeapMb;
        public double trigger16384IdleLiveHeapMb;
        public double trigger16384WriterRowsPerSecond;
        public double trigger16384WriterPeakHeapMb;
        public double trigger16384WriterLiveHeapMb;
        public double logWriterWritesPerSecond;
        public double triggerWriterWritesPerSecond;
        public double timestampWriterWritesPerSecond;
        public double debeziumInitialWriterWritesPerSecond;
        public double debeziumIncrementalWriterWritesPerSecond;
        public double debeziumIncrementalSameChunkWriterWritesPerSecond;
        public double trigger1024WriterWritesPerSecond;
        public double trigger16384WriterWritesPerSecond;
        public double writerWritesPerSecond;

        @Setup(Level.Iteration)
        public void clear() throws IllegalAccessException {
            for (Field f : Snapshots.class.getFields()) {
                f.setDouble(this, 0);
            }
        }

        void set(SnapshotVariant variant, boolean writer, String figure, double value) {
            String name = variant.counterPrefix() + (writer ? "Writer" : "Idle") + figure;
            try {
                Snapshots.class.getField(name).setDouble(this, value);
            } catch (NoSuchFieldException | IllegalAccessException e) {
                throw new IllegalStateException("No counter " + name, e);
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        List<SnapshotVariant> idleList = variants(idle);
        List<SnapshotVariant> writerList = variants(writer);
        List<SnapshotVariant> all = new ArrayList<>(idleList);
        writerList.stream().filter(v -> !all.contains(v)).forEach(all::add);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("No snapshot variant to measure: set idle or writer");
        }
        if (rows < 1 || writesPerSecond < 3) {
            throw new IllegalArgumentException("rows must be positive and writesPerSecond at least 3");
        }
        if (warmupRows > 0) {
            for (SnapshotVariant v : all) {
                try (Target warm = Target.open(v, warmupRows, List.of(false))) {
                    Result r = snapshot(warm, false);
                    System.out.printf(Locale.ROOT, "warm-up %s: %d rows in %.1f s%n", v.paramName(), warmupRows,
                            r.seconds());
                }
            }
        }
        for (SnapshotVariant v : all) {
            List<Boolean> loads = new ArrayList<>();
            if (idleList.contains(v)) {
                loads.add(false);
            }
            if (writerList.contains(v)) {
                loads.add(true);
            }
            targets.add(Target.open(v, rows, loads));
        }
    }

    private static List<SnapshotVariant> variants(String list) {
        return list.isBlank() || list.strip().equals("none") ? List.of() : SnapshotVariant.list(list);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        RuntimeException failure = null;
        for (Target t : targets) {
            try {
                t.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        targets.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /** One round: every variant snapshots its table under every load. */
    @Benchmark
    public void interleaved(Snapshots out) throws Exception {
        double writerRates = 0;
        int writerRuns = 0;
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get((round + i) % targets.size());
            for (int j = 0; j < t.loads.size(); j++) {
                boolean writer = t.loads.get((round + j) % t.loads.size());
                Result r = snapshot(t, writer);
                out.set(t.variant, writer, "RowsPerSecond", rows / r.seconds());
                out.set(t.variant, writer, "PeakHeapMb", r.peakHeapMb());
                out.set(t.variant, writer, "LiveHeapMb", r.liveHeapMb());
                if (writer) {
                    out.set(t.variant, true, "WritesPerSecond", r.writesPerSecond());
                }
                System.out.printf(Locale.ROOT, "round %d, %s %s: %.0f rows/s (%.1f s; %d reads, %d changes; "
                                + "heap peak %.0f MB, live %.0f MB%s)%n", round + 1, t.variant.paramName(),
                        writer ? "writer" : "idle", rows / r.seconds(), r.seconds(), r.reads(), r.changes(),
                        r.peakHeapMb(), r.liveHeapMb(),
                        writer ? String.format(Locale.ROOT, "; writer %.0f writes/s", r.writesPerSecond()) : "");
                if (writer) {
                    writerRates += r.writesPerSecond();
                    writerRuns++;
                }
            }
        }
        out.writerWritesPerSecond = writerRuns == 0 ? 0 : writerRates / writerRuns;
        round++;
    }

    /** The figures of one snapshot. */
    record Result(double seconds, long reads, long changes, double peakHeapMb, double liveHeapMb,
                  double writesPerSecond) {
    }

    /** A fresh snapshot of {@code t}'s table by its variant, idle or under the writer. */
    private Result snapshot(Target t, boolean writer) throws Exception {
        String name = "snap_" + t.variant.counterPrefix().toLowerCase(Locale.ROOT) + "_" + (++runs);
        SnapshotSink sink = new SnapshotSink(t.rows);
        System.gc();
        SnapshotWriter w = writer ? SnapshotWriter.start(t.orders, t.rows, t.nextOwnId, writesPerSecond, runs) : null;
        try {
            if (w != null) {
                Thread.sleep(WRITER_LEAD_MILLIS);
            }
            long start;
            long end;
            double writes = 0;
            SnapshotCapture capture;
            try (HeapSampler heap = new HeapSampler()) {
                start = System.nanoTime();
                capture = SnapshotCapture.start(t.variant, t.orders, name, sink);
                try {
                    SnapshotCapture c = capture;
                    end = sink.awaitComplete(SNAPSHOT_TIMEOUT, () -> {
                        c.checkHealthy();
                        if (w != null) {
                            w.checkHealthy();
                        }
                    }, capture);
                    heap.close();
                    if (w != null) {
                        writes = w.stop();
                    }
                } finally {
                    capture.close();
                }
                capture.dropState();
                if (!writer && sink.changes() > 0) {
                    throw new IllegalStateException(t.variant.paramName() + " delivered " + sink.changes()
                            + " changes in an idle snapshot");
                }
                return new Result((end - start) / 1e9, sink.reads(), sink.changes(), heap.peakUsedBytes() / 1048576.0,
                        heap.peakAfterGcBytes() / 1048576.0, writes);
            }
        } finally {
            if (w != null) {
                t.nextOwnId = w.nextId();
                w.close();
            }
        }
    }

    /**
     * One variant: its database with the orders table of {@code rows} rows, prepared for it, and
     * the loads it is measured under ({@code true}: the writer).
     */
    private static final class Target implements AutoCloseable {
        final SnapshotVariant variant;
        final Orders orders;
        final int rows;
        final List<Boolean> loads;
        long nextOwnId;

        private Target(SnapshotVariant variant, Orders orders, int rows, List<Boolean> loads) {
            this.variant = variant;
            this.orders = orders;
            this.rows = rows;
            this.loads = List.copyOf(loads);
            this.nextOwnId = rows + 1L;
        }

        static Target open(SnapshotVariant variant, int rows, List<Boolean> loads) throws SQLException {
            Orders orders = Orders.create(variant.strategy());
            try {
                try (Connection c = orders.connect(); Statement st = c.createStatement()) {
                    Orders.bulkInsert(c, 1, rows, 100_000);
                    st.execute("VACUUM (FREEZE, ANALYZE) public.orders");
                }
                SnapshotCapture.prepare(variant, orders);
                return new Target(variant, orders, rows, loads);
            } catch (SQLException | RuntimeException e) {
                orders.close();
                throw e;
            }
        }

        @Override
        public void close() {
            orders.close();
        }
    }
}
