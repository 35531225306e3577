package io.cdckit.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What capturing costs the application's writers: rows per second written to the orders table
 * while the strategy is installed and capturing (its handler only counts), against {@code none}.
 * Batched statements write 1 000 rows per transaction from one client (JDBC batches, inserts
 * rewritten to multi-row statements); single-row statements are autocommit transactions from two
 * clients, an OLTP writer. The table holds {@link #rows} rows when capture starts (updates work on
 * them), {@link #deleteRows} for single-row deletes, which take theirs from these. Scores are rows/s.
 * What the triggers alone cost, without a reader, is measured interleaved by {@link TriggerWriterBenchmark};
 * its variants ({@code trigger-classic}, {@code trigger-row-unread}, ...) also run here with {@code -p strategy=...}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 2, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class WriteOverheadBenchmark {

    static final int BATCH = 1000;

    @Param({"none", "log", "log-pgoutput", "trigger-row", "trigger-statement", "timestamp"})
    public String strategy;

    /** Rows in the table before capture starts; updates work on these. */
    @Param("100000")
    public int rows;

    /** Rows in the table before capture starts for single-row deletes, which take theirs from these. */
    @Param("800000")
    public int deleteRows;

    private Orders orders;
    private Capture capture;
    private final CountingSink sink = new CountingSink();
    private final AtomicLong nextInsertId = new AtomicLong();
    private final AtomicLong nextDeleteId = new AtomicLong(1);
    private final AtomicLong nextUpdateBatch = new AtomicLong();

    private long populated;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws SQLException {
        Strategy s = Strategy.of(strategy);
        orders = Orders.create(s);
        populated = params.getBenchmark().endsWith(".deleteSingle") ? Math.max(rows, deleteRows) : rows;
        try (Connection c = orders.connect()) {
            Orders.bulkInsert(c, 1, populated, 100_000);
            c.createStatement().execute("VACUUM ANALYZE public.orders");
        }
        nextInsertId.set(populated + 1L);
        capture = Capture.start(s, orders, sink);
    }

    /** Lets the capture catch up with the previous iteration, so each one starts alike. */
    @Setup(Level.Iteration)
    public void drain() {
        sink.awaitQuiet(Duration.ofMillis(500), Duration.ofSeconds(60));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            if (capture != null) {
                capture.checkHealthy();
                capture.close();
            }
        } finally {
            if (orders != null) {
                orders.close();
            }
        }
    }

    /** One writer's connection and statements. */
    @State(Scope.Thread)
    public static class Writer {
        Connection connection;
        PreparedStatement insert;
        PreparedStatement update;
        PreparedStatement delete;
        long round;

        @Setup(Level.Trial)
        public void open(WriteOverheadBenchmark b) throws SQLException {
            connection = b.orders.connect();
            insert = connection.prepareStatement(Orders.INSERT);
            update = connection.prepareStatement(Orders.UPDATE);
            delete = connection.prepareStatement(Orders.DELETE);
        }

        @TearDown(Level.Trial)
        public void close() throws SQLException {
            connection.close();
        }
    }

    /** INSERT of 1 000 rows in one transaction. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    @Threads(1)
    public void insertBatch(Writer w) throws SQLException {
        Orders.insertBatch(w.connection, w.insert, nextInsertId.getAndAdd(BATCH), BATCH);
    }

    /** UPDATE of 1 000 rows (one statement each) in one transaction. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    @Threads(1)
    public void updateBatch(Writer w) throws SQLException {
        Orders.updateBatch(w.connection, w.update, nextUpdateBatch.getAndIncrement(), rows, BATCH);
    }

    /** INSERT of one row, autocommit, from two clients. */
    @Benchmark
    @Threads(2)
    public void insertSingle(Writer w) throws SQLException {
        Orders.bindInsert(w.insert, nextInsertId.getAndIncrement());
        w.insert.executeUpdate();
    }

    /** UPDATE of one random row, autocommit, from two clients. */
    @Benchmark
    @Threads(2)
    public void updateSingle(Writer w) throws SQLException {
        Orders.bindUpdate(w.update, 1 + ThreadLocalRandom.current().nextLong(rows), ++w.round);
        w.update.executeUpdate();
    }

    /** DELETE of one row, autocommit, from two clients. */
    @Benchmark
    @Threads(2)
    public void deleteSingle(Writer w) throws SQLException {
        long id = nextDeleteId.getAndIncrement();
        if (id > populated) {
            throw new IllegalStateException("All " + populated + " rows are deleted: raise the 'deleteRows' parameter");
        }
        w.delete.setLong(1, id);
        w.delete.executeUpdate();
    }
}
