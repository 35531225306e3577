package io.cdckit.benchmarks;

import io.cdckit.testkit.LocalPostgresCluster;
import io.cdckit.testkit.PostgresFixture;
import io.cdckit.testkit.TestDatabase;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How fast each log engine reads what the server can send, interleaved in one fork: cdckit's
 * native engine ({@code log-pgoutput}), raw Debezium ({@code debezium-raw}), cdckit's log strategy
 * on Debezium ({@code log}), and the server's own bound: {@code pg_recvlogical} decoding the same
 * kind of slot with {@code pgoutput} (same publication options) into {@code /dev/null}.
 *
 * <p>Each peer has a database, an orders table and a slot of its own. Every iteration, for each
 * peer in turn (the order rotates), {@code rows} rows are inserted ({@code rowsPerTransaction} per
 * transaction) while the peer is stopped, so the whole backlog waits in the slot; then the peer
 * starts and drains it. A capture's rate is the rows over the time from its first event to its
 * last (its start-up is not counted), {@code pg_recvlogical}'s likewise from the first byte it
 * writes to its exit at the LSN after the backlog. Counters: each
 * peer's events/s and the native engine's ratio to raw Debezium and to the server.
 *
 * <p>Run with {@code java -jar cdc-benchmarks/target/benchmarks.jar LogEngineBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class LogEngineBenchmark {

    @Param("200000")
    public int rows;

    @Param("10000")
    public int rowsPerTransaction;

    /** The peers, joined by '+' (JMH splits parameter values at commas): log-pgoutput, debezium-raw, log, server. */
    @Param("log-pgoutput+debezium-raw+log+server")
    public String peers;

    private final List<Peer> running = new ArrayList<>();
    private Peer server;
    private int round;

    /** The counters of one iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Rates {
        public double nativeEventsPerSecond;
        public double rawDebeziumEventsPerSecond;
        public double logEventsPerSecond;
        public double serverRowsPerSecond;
        public double nativeToRawDebezium;
        public double nativeToServer;

        @Setup(Level.Iteration)
        public void clear() {
            nativeEventsPerSecond = 0;
            rawDebeziumEventsPerSecond = 0;
            logEventsPerSecond = 0;
            serverRowsPerSecond = 0;
            nativeToRawDebezium = 0;
            nativeToServer = 0;
        }
    }

    /** A reader of one database's slot, stopped between its drains. */
    private static final class Peer implements AutoCloseable {
        final Strategy strategy;
        final Orders orders;
        final Connection writer;
        final CountingSink sink = new CountingSink();
        long written;

        Peer(Strategy strategy) throws SQLException {
            this.strategy = strategy;
            this.orders = Orders.create(strategy);
            this.writer = orders.connect();
        }

        String name() {
            return strategy == Strategy.NONE ? "server" : strategy.paramName();
        }

        @Override
        public void close() throws SQLException {
            writer.close();
            orders.close();
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        List<String> wanted = List.of(peers.split("\\+"));
        for (Strategy s : List.of(Strategy.LOG_PGOUTPUT, Strategy.DEBEZIUM_RAW, Strategy.LOG)) {
            if (!wanted.contains(s.paramName())) {
                continue;
            }
            Peer p = new Peer(s);
            running.add(p);
            // a first start creates the slot and publication, which keep their place from then on; it stops
            // once streaming, after one row
            try (Capture capture = Capture.start(s, p.orders, p.sink)) {
                backlog(p, 1);
                p.sink.target(1);
                p.sink.awaitTarget(Duration.ofMinutes(2), capture);
            }
        }
        if (!wanted.contains("server")) {
            return;
        }
        server = new Peer(Strategy.NONE);
        server.orders.database().execute("ALTER TABLE public.orders REPLICA IDENTITY FULL",
                "CREATE PUBLICATION bound_pub FOR TABLE public.orders",
                "SELECT pg_catalog.pg_create_logical_replication_slot('bound_slot', 'pgoutput')");
        running.add(server);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        for (Peer p : running) {
            p.close();
        }
    }

    @Benchmark
    public void drain(Rates rates) throws Exception {
        int first = round++ % running.size();
        StringBuilder line = new StringBuilder("round " + round + ":");
        for (int i = 0; i < running.size(); i++) {
            Peer p = running.get((first + i) % running.size());
            double rate = p == server ? drainServer(p) : drainCapture(p);
            line.append(String.format(" %s %.0f/s", p.name(), rate));
            switch (p.name()) {
                case "log-pgoutput" -> rates.nativeEventsPerSecond = rate;
                case "debezium-raw" -> rates.rawDebeziumEventsPerSecond = rate;
                case "log" -> rates.logEventsPerSecond = rate;
                default -> rates.serverRowsPerSecond = rate;
            }
        }
        rates.nativeToRawDebezium = rates.nativeEventsPerSecond / rates.rawDebeziumEventsPerSecond;
        rates.nativeToServer = rates.nativeEventsPerSecond / rates.serverRowsPerSecond;
        System.out.printf("%s; native %.2fx raw Debezium, %.2fx the server%n", line, rates.nativeToRawDebezium,
                rates.nativeToServer);
    }

    private void backlog(Peer p) throws SQLException {
        backlog(p, rows);
    }

    private void backlog(Peer p, int n) throws SQLException {
        Orders.bulkInsert(p.writer, p.written + 1, p.written + n, Math.min(n, rowsPerTransaction));
        p.written += n;
    }

    private double drainCapture(Peer p) throws SQLException {
        backlog(p);
        p.sink.target(p.written);
        long before = p.sink.count();
        long firstAt;
        try (Capture capture = Capture.start(p.strategy, p.orders, p.sink)) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (p.sink.count() == before) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no event arrived from " + capture);
                }
                capture.checkHealthy();
                Thread.onSpinWait();
            }
            firstAt = System.nanoTime();
            long end = p.sink.awaitTarget(Duration.ofMinutes(10), capture);
            return (p.written - before - 1) * 1e9 / (end - firstAt);
        }
    }

    /**
     * pg_recvlogical from the slot's confirmed position to the LSN after the backlog, writing the
     * messages to its standard output, which is read here: its rate is the rows over the time from
     * its first byte to its exit, as a capture's is from its first event to its last.
     */
    private double drainServer(Peer p) throws Exception {
        backlog(p);
        TestDatabase db = p.orders.database();
        String endpos = db.queryForString("SELECT pg_catalog.pg_current_wal_lsn()::text");
        Path bin = db.server().localCluster().map(LocalPostgresCluster::binDirectory)
                .orElseGet(() -> Path.of(System.getenv().getOrDefault("PG_BINDIR", "/usr/bin")));
        List<String> command = List.of(bin.resolve("pg_recvlogical").toString(), "--start", "--no-loop",
                "-h", db.server().host(), "-p", Integer.toString(db.server().port()), "-U", db.user(),
                "-d", db.name(), "--slot", "bound_slot", "--endpos", endpos, "-f", "-",
                "-o", "proto_version=1", "-o", "publication_names=bound_pub", "-o", "messages=true");
        ProcessBuilder pb = new ProcessBuilder(command);
        if (db.password() != null) {
            pb.environment().put("PGPASSWORD", db.password());
        }
        Path err = Files.createTempFile("pg_recvlogical", ".err");
        pb.redirectError(err.toFile());
        Process process = pb.start();
        long first = 0;
        byte[] buffer = new byte[1 << 16];
        try (var out = process.getInputStream()) {
            int n;
            while ((n = out.read(buffer)) >= 0) {
                if (first == 0 && n > 0) {
                    first = System.nanoTime();
                }
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0 || first == 0) {
            process.destroyForcibly();
            throw new IllegalStateException("pg_recvlogical failed: " + readQuietly(err));
        }
        long end = System.nanoTime();
        Files.deleteIfExists(err);
        return (rows - 1) * 1e9 / (end - first);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
