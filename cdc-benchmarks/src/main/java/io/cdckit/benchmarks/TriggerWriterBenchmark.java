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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the trigger flavours alone cost writers, measured interleaved. The trigger strategy's
 * writer targets were set against the classic trigger measured with pgbench, without a reader;
 * this measures the same way, next to no capture and two lower bounds, and does not run the
 * variants one after the other: on a machine whose speed drifts during a run (a shared virtual
 * machine), a sequential run compares each variant with a {@code none} measured minutes earlier.
 *
 * <p>Every variant gets its own database of the same server, with the orders table holding
 * {@link #rows} rows: {@code none}; {@code trigger-noop} and {@code trigger-floor}
 * ({@link BareTriggers}); cdckit's {@code trigger-statement-unread} and {@code trigger-row-unread}
 * ({@link UnreadTriggers}: installed, the table's reading lock held as a busy reader holds it, no
 * reader); and {@code trigger-classic} ({@link ClassicTrigger}). The one invocation runs a short
 * warm-up round and then {@link #rounds} rounds in which every variant writes {@link #statement}
 * for {@link #sliceMillis} ms, each round starting with the next variant. Statements as in
 * {@link WriteOverheadBenchmark}: {@code insertBatch} and {@code updateBatch} write 1 000 rows per
 * transaction from one client, {@code insertSingle} one row per autocommit transaction from two.
 *
 * <p>Counters, per variant: rows per second over its slices, and the server CPU time its writer
 * sessions used per row in microseconds (from {@code /proc}, when the server runs on this host;
 * NaN otherwise). CPU per row does not depend on how fast the machine wakes a waiting process,
 * which dominates single-row round trips on some machines.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class TriggerWriterBenchmark {

    /** The variants, in the order of the first round. */
    static final List<Strategy> VARIANTS = List.of(Strategy.NONE, Strategy.TRIGGER_NOOP, Strategy.TRIGGER_FLOOR,
            Strategy.TRIGGER_STATEMENT_UNREAD, Strategy.TRIGGER_ROW_UNREAD, Strategy.TRIGGER_CLASSIC);

    private static final int BATCH = WriteOverheadBenchmark.BATCH;
    private static final int SINGLE_ROW_CLIENTS = 2;

    @Param({"insertBatch", "updateBatch", "insertSingle"})
    public String statement;

    @Param("5")
    public int rounds;

    @Param("2000")
    public int sliceMillis;

    /** Rows in each table before the writes start; updates work on these. */
    @Param("100000")
    public int rows;

    private final List<Target> targets = new ArrayList<>();
    private ExecutorService clients;

    /** Rows/s and server µs per row of each variant (named by its column in the report). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Costs {
        public double noneRowsPerSecond;
        public double noopRowsPerSecond;
        public double floorRowsPerSecond;
        public double statementRowsPerSecond;
        public double rowRowsPerSecond;
        public double classicRowsPerSecond;
        public double noneServerMicrosPerRow;
        public double noopServerMicrosPerRow;
        public double floorServerMicrosPerRow;
        public double statementServerMicrosPerRow;
        public double rowServerMicrosPerRow;
        public double classicServerMicrosPerRow;

        void set(Strategy variant, double rowsPerSecond, double micros) {
            switch (variant) {
                case NONE -> {
                    noneRowsPerSecond = rowsPerSecond;
                    noneServerMicrosPerRow = micros;
                }
                case TRIGGER_NOOP -> {
                    noopRowsPerSecond = rowsPerSecond;
                    noopServerMicrosPerRow = micros;
                }
                case TRIGGER_FLOOR -> {
                    floorRowsPerSecond = rowsPerSecond;
                    floorServerMicrosPerRow = micros;
                }
                case TRIGGER_STATEMENT_UNREAD -> {
                    statementRowsPerSecond = rowsPerSecond;
                    statementServerMicrosPerRow = micros;
                }
                case TRIGGER_ROW_UNREAD -> {
                    rowRowsPerSecond = rowsPerSecond;
                    rowServerMicrosPerRow = micros;
                }
                case TRIGGER_CLASSIC -> {
                    classicRowsPerSecond = rowsPerSecond;
                    classicServerMicrosPerRow = micros;
                }
                default -> throw new IllegalArgumentException(variant + " is not measured here");
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        if (!List.of("insertBatch", "updateBatch", "insertSingle").contains(statement)) {
            throw new IllegalArgumentException("Unknown statement '" + statement
                    + "': use insertBatch, updateBatch or insertSingle");
        }
        int sessions = statement.equals("insertSingle") ? SINGLE_ROW_CLIENTS : 1;
        clients = Executors.newFixedThreadPool(SINGLE_ROW_CLIENTS);
        for (Strategy variant : VARIANTS) {
            targets.add(Target.open(variant, rows, sessions));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (clients != null) {
            clients.shutdownNow();
        }
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
        if (failure != null) {
            throw failure;
        }
    }

    /** The warm-up round and the measured rounds, interleaved over the variants. */
    @Benchmark
    public void interleaved(Costs costs) throws Exception {
        for (Target t : targets) {
            slice(t, Math.min(500, sliceMillis), false);
        }
        for (int round = 0; round < rounds; round++) {
            StringBuilder line = new StringBuilder("round " + (round + 1) + "/" + rounds + ", " + statement + ":");
            for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get((round + i) % targets.size());
                long rowsBefore = t.rows;
                long nanosBefore = t.nanos;
                slice(t, sliceMillis, true);
                line.append(String.format(Locale.ROOT, " %s %.0f rows/s", t.variant.paramName(),
                        (t.rows - rowsBefore) / ((t.nanos - nanosBefore) / 1e9)));
            }
            System.out.println(line);
        }
        for (Target t : targets) {
            costs.set(t.variant, t.rows / (t.nanos / 1e9), t.serverMicros / t.rows);
        }
    }

    /** Lets one variant write for {@code millis}; counts its rows, time and server CPU when {@code counted}. */
    private void slice(Target t, long millis, boolean counted) throws Exception {
        double cpuBefore = t.cpu.micros();
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(millis);
        long done = switch (statement) {
            case "insertBatch" -> t.insertBatches(deadline);
            case "updateBatch" -> t.updateBatches(deadline, rows);
            default -> insertSingle(t, deadline);
        };
        long elapsed = System.nanoTime() - start;
        if (counted) {
            t.rows += done;
            t.nanos += elapsed;
            t.serverMicros += t.cpu.micros() - cpuBefore;
        }
    }

    private long insertSingle(Target t, long deadline) throws Exception {
        List<Future<Long>> running = new ArrayList<>();
        for (int s = 0; s < t.sessions.size(); s++) {
            int session = s;
            running.add(clients.submit(() -> t.insertSingles(session, deadline)));
        }
        long done = 0;
        for (Future<Long> f : running) {
            done += f.get();
        }
        return done;
    }

    /** One variant: its database with the orders table, its capture (never read), its writer sessions. */
    private static final class Target implements AutoCloseable {
        final Strategy variant;
        final Orders orders;
        final Capture capture;
        final List<Connection> sessions = new ArrayList<>();
        final List<PreparedStatement> inserts = new ArrayList<>();
        final List<PreparedStatement> updates = new ArrayList<>();
        final BackendCpu cpu;
        final AtomicLong nextInsertId;
        long nextUpdateBatch;
        long rows;
        long nanos;
        double serverMicros;

        private Target(Strategy variant, Orders orders, Capture capture, List<Connection> sessions, long populated)
                throws SQLException {
            this.variant = variant;
            this.orders = orders;
            this.capture = capture;
            List<Long> pids = new ArrayList<>();
            for (Connection c : sessions) {
                this.sessions.add(c);
                inserts.add(c.prepareStatement(Orders.INSERT));
                updates.add(c.prepareStatement(Orders.UPDATE));
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    pids.add(rs.getLong(1));
                }
            }
            this.cpu = BackendCpu.of(pids);
            this.nextInsertId = new AtomicLong(populated + 1);
        }

        static Target open(Strategy variant, int rows, int sessionCount) throws SQLException {
            Orders orders = Orders.create(variant);
            Capture capture = null;
            List<Connection> sessions = new ArrayList<>();
            try {
                try (Connection c = orders.connect()) {
                    Orders.bulkInsert(c, 1, rows, 100_000);
                    c.createStatement().execute("VACUUM ANALYZE public.orders");
                }
                capture = Capture.start(variant, orders, new CountingSink());
                for (int i = 0; i < sessionCount; i++) {
                    sessions.add(orders.connect());
                }
                return new Target(variant, orders, capture, sessions, rows);
            } catch (SQLException | RuntimeException e) {
                for (Connection c : sessions) {
                    try {
                        c.close();
                    } catch (SQLException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                if (capture != null) {
                    capture.close();
                }
                orders.close();
                throw e;
            }
        }

        long insertBatches(long deadline) throws SQLException {
            long done = 0;
            while (System.nanoTime() < deadline) {
                Orders.insertBatch(sessions.get(0), inserts.get(0), nextInsertId.getAndAdd(BATCH), BATCH);
                done += BATCH;
            }
            return done;
        }

        long updateBatches(long deadline, int tableRows) throws SQLException {
            long done = 0;
            while (System.nanoTime() < deadline) {
                Orders.updateBatch(sessions.get(0), updates.get(0), nextUpdateBatch++, tableRows, BATCH);
                done += BATCH;
            }
            return done;
        }

        long insertSingles(int session, long deadline) throws SQLException {
            PreparedStatement insert = inserts.get(session);
            long done = 0;
            while (System.nanoTime() < deadline) {
                Orders.bindInsert(insert, nextInsertId.getAndIncrement());
                insert.executeUpdate();
                done++;
            }
            return done;
        }

        @Override
        public void close() {
            try {
                for (Connection c : sessions) {
                    try {
                        c.close();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
                capture.close();
            } finally {
                orders.close();
            }
        }
    }
}
