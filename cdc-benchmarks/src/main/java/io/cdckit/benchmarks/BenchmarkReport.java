package io.cdckit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.testkit.PostgresFixture;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Turns the JMH JSON of benchmark runs into {@code docs/benchmarks.md}: the machine, the tables
 * of each benchmark with ratios to {@code none} and to raw Debezium, and the targets with whether
 * each is met. Usage: {@code BenchmarkReport RESULTS.json [MORE.json ...] OUTPUT.md [NOTES.md]}:
 * the results of every file are read together (the suite's run and the snapshot run are separate
 * files, so either can be run again alone); the notes (the profiling before/after) are appended as
 * they are.
 */
public final class BenchmarkReport {

    static final double LOG_VS_RAW_TARGET = 0.95;
    static final double LOG_P99_TARGET_MS = 20;
    /** The native log engine ({@code cdc.log.engine=pgoutput}). */
    static final double NATIVE_P99_TARGET_MS = 5;
    static final double TRIGGER_P99_TARGET_MS = 50;
    /** cdc.poll.interval + cdc.timestamp.delay at their defaults (100 ms + 50 ms). */
    static final double TIMESTAMP_P99_TARGET_MS = 150;
    static final double HEAP_TARGET_MB = 256;
    /** The best trigger flavour's rows/s against the bare-trigger floor, triggers alone, per statement kind. */
    static final double TRIGGER_VS_FLOOR_TARGET = 0.9;
    static final Map<String, Double> TRIGGER_WRITER_TARGETS = Map.of(
            "insertBatch", 0.5, "updateBatch", 0.35, "insertSingle", 0.85);
    /** A chunked snapshot's rows/s against Debezium's initial snapshot (one transaction). */
    static final double SNAPSHOT_VS_INITIAL_TARGET = 1.0;
    /** A chunked snapshot's rows/s against Debezium's incremental snapshot. */
    static final double SNAPSHOT_VS_INCREMENTAL_TARGET = 2.0;
    /** cdckit's connector's events/s on Kafka Connect against Debezium's connector, per {@code cdc.mode}. */
    static final Map<String, Double> CONNECT_TARGETS = connectTargets();

    private static final String WRITE = "WriteOverheadBenchmark";
    private static final String THROUGHPUT = "CaptureThroughputBenchmark";
    private static final String LATENCY = "LatencyBenchmark";
    private static final String MEMORY = "MemoryBenchmark";
    private static final List<String> WRITE_OPS = List.of("insertBatch", "updateBatch", "insertSingle", "updateSingle",
            "deleteSingle");
    private static final List<String> WRITE_STRATEGIES = List.of("none", "log", "log-pgoutput", "trigger-row",
            "trigger-statement", "timestamp");
    private static final String TRIGGERS_ALONE = "TriggerWriterBenchmark";
    /** The counter prefixes of {@code TriggerWriterBenchmark}'s variants and their column names. */
    private static final Map<String, String> ALONE_VARIANTS = aloneVariants();
    private static final List<String> CAPTURE_STRATEGIES = List.of("log", "log-pgoutput", "debezium-raw",
            "trigger-row", "trigger-statement", "timestamp");
    private static final String SNAPSHOT = "SnapshotBenchmark";
    /** cdckit's snapshots with a target, at the default chunk size. */
    private static final List<SnapshotVariant> SNAPSHOT_STRATEGIES = List.of(SnapshotVariant.LOG,
            SnapshotVariant.TRIGGER, SnapshotVariant.TIMESTAMP);
    private static final List<SnapshotVariant> DEBEZIUM_INCREMENTAL = List.of(SnapshotVariant.DEBEZIUM_INCREMENTAL,
            SnapshotVariant.DEBEZIUM_INCREMENTAL_SAME_CHUNK);
    /** The trigger strategy's snapshot at each chunk size measured. */
    private static final List<SnapshotVariant> TRIGGER_CHUNKS = List.of(SnapshotVariant.TRIGGER_1024,
            SnapshotVariant.TRIGGER, SnapshotVariant.TRIGGER_16384);

    private static final String CONNECT = "ConnectBenchmark";
    /** The peers of {@code ConnectBenchmark}, in the order of the table; {@code debezium} is the reference. */
    private static final List<String> CONNECT_PEERS = List.of("log", "trigger", "timestamp", "debezium");

    private static Map<String, Double> connectTargets() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("log", 0.9);
        m.put("trigger", 1.0);
        m.put("timestamp", 1.0);
        return m;
    }

    private static Map<String, String> aloneVariants() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("none", "none");
        m.put("noop", "trigger-noop");
        m.put("floor", "trigger-floor");
        m.put("statement", "trigger-statement");
        m.put("row", "trigger-row");
        m.put("classic", "trigger-classic");
        return m;
    }

    /** One benchmark result of the JSON. */
    record Row(String benchmark, String method, Map<String, String> params, double score, String unit,
               Map<String, List<Double>> secondary) {

        String strategy() {
            return params.get("strategy");
        }

        /** The largest value of a counter over the measured iterations, NaN when missing. */
        double counterMax(String name) {
            List<Double> values = secondary.get(name);
            return values == null ? Double.NaN
                    : values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }

        /** How many measured iterations a counter has. */
        int iterations(String name) {
            List<Double> values = secondary.get(name);
            return values == null ? 0 : values.size();
        }

        /** The mean of a counter over the measured iterations (JMH sums counters over iterations). */
        double counter(String name) {
            List<Double> values = secondary.get(name);
            if (values == null || values.isEmpty()) {
                return Double.NaN;
            }
            return name.startsWith("max")
                    ? values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN)
                    : values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }

    private final List<Row> rows;
    private final List<String> targets = new ArrayList<>();

    BenchmarkReport(List<Row> rows) {
        this.rows = rows;
    }

    public static void main(String[] args) throws IOException {
        int jsons = 0;
        while (jsons < args.length && args[jsons].endsWith(".json")) {
            jsons++;
        }
        if (jsons == 0 || args.length < jsons + 1) {
            System.err.println("Usage: BenchmarkReport RESULTS.json [MORE.json ...] OUTPUT.md [NOTES.md]");
            System.exit(2);
        }
        List<Row> rows = new ArrayList<>();
        List<String> names = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        for (int i = 0; i < jsons; i++) {
            Path json = Path.of(args[i]);
            rows.addAll(read(mapper.readTree(json.toFile())));
            names.add(json.getFileName().toString());
        }
        Path out = Path.of(args[jsons]);
        String notes = args.length > jsons + 1 && Files.exists(Path.of(args[jsons + 1]))
                ? Files.readString(Path.of(args[jsons + 1]), StandardCharsets.UTF_8) : "";
        String md = new BenchmarkReport(rows).markdown(machine(), names, notes);
        Files.writeString(out, md, StandardCharsets.UTF_8);
        System.out.println("Wrote " + out);
    }

    static List<Row> read(JsonNode root) {
        List<Row> out = new ArrayList<>();
        for (JsonNode b : root) {
            String full = b.path("benchmark").asText();
            String[] parts = full.split("\\.");
            Map<String, String> params = new LinkedHashMap<>();
            b.path("params").fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
            Map<String, List<Double>> secondary = new LinkedHashMap<>();
            b.path("secondaryMetrics").fields().forEachRemaining(e -> {
                List<Double> values = new ArrayList<>();
                for (JsonNode fork : e.getValue().path("rawData")) {
                    for (JsonNode v : fork) {
                        values.add(v.asDouble());
                    }
                }
                if (values.isEmpty()) {
                    values.add(e.getValue().path("score").asDouble());
                }
                secondary.put(e.getKey(), values);
            });
            JsonNode primary = b.path("primaryMetric");
            out.add(new Row(parts[parts.length - 2], parts[parts.length - 1], params, primary.path("score").asDouble(),
                    primary.path("scoreUnit").asText(), secondary));
        }
        return out;
    }

    /** Cores, memory, CPU model, OS, JDK and PostgreSQL version of this machine. */
    static String machine() {
        int cores = Runtime.getRuntime().availableProcessors();
        String cpu = grep(Path.of("/proc/cpuinfo"), "model name").orElse(System.getProperty("os.arch"));
        String mem = grep(Path.of("/proc/meminfo"), "MemTotal")
                .map(v -> Math.round(Long.parseLong(v.replaceAll("[^0-9]", "")) / 1048576.0) + " GiB").orElse("? GiB");
        String os = System.getProperty("os.name");
        String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.version");
        return cores + " cores, " + mem + ", " + cpu + ", " + os + "; JDK " + jdk + "; PostgreSQL " + postgresVersion();
    }

    private static String postgresVersion() {
        try (Connection c = PostgresFixture.server().connect("postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW server_version")) {
            return rs.next() ? rs.getString(1).replaceAll(" .*", "") : "?";
        } catch (SQLException | RuntimeException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    private static Optional<String> grep(Path file, String key) {
        try {
            return Files.readAllLines(file).stream().filter(l -> l.startsWith(key)).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    String markdown(String machine, String jsonName, String notes) {
        return markdown(machine, List.of(jsonName), notes);
    }

    /**
     * The page for results read from the files {@code jsonNames}: the first is the suite's run,
     * a {@code snapshots-<date>.json} the snapshot run (section 5).
     */
    String markdown(String machine, List<String> jsonNames, String notes) {
        StringBuilder body = new StringBuilder();
        writerTable(body);
        throughputTable(body);
        latencyTable(body);
        memoryTable(body);
        snapshotTables(body);
        connectTable(body);

        List<String> suite = jsonNames.stream().filter(n -> !n.startsWith(SNAPSHOT_RESULTS_PREFIX)
                && !n.startsWith(CONNECT_RESULTS_PREFIX)).toList();
        List<String> snapshots = jsonNames.stream().filter(n -> n.startsWith(SNAPSHOT_RESULTS_PREFIX)).toList();
        List<String> connect = jsonNames.stream().filter(n -> n.startsWith(CONNECT_RESULTS_PREFIX)).toList();
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Generated by `cdc-benchmarks/run.sh` from the JMH results ");
        if (!suite.isEmpty()) {
            md.append(files(suite)).append(" (a short suite: one fork, few and short iterations)");
        }
        if (!snapshots.isEmpty()) {
            md.append(suite.isEmpty() ? "" : " and ").append(files(snapshots))
                    .append(" (the snapshots of section 5, a run of their own)");
        }
        if (!connect.isEmpty()) {
            md.append(suite.isEmpty() && snapshots.isEmpty() ? "" : " and ").append(files(connect))
                    .append(" (the Kafka Connect connectors of section 6, a run of their own)");
        }
        md.append(". Every number is from one run on one ")
                .append("machine, with PostgreSQL on the same host; other work may have run alongside, so compare ")
                .append("ratios within the run, not absolute figures across machines.\n\n");
        md.append("- **Machine:** ").append(machine).append('\n');
        md.append("- **Date:** ").append(String.join(", ", suite.stream().map(BenchmarkReport::date).toList()));
        if (!snapshots.isEmpty()) {
            md.append(suite.isEmpty() ? "" : "; section 5: ")
                    .append(String.join(", ", snapshots.stream().map(BenchmarkReport::date).toList()));
        }
        if (!connect.isEmpty()) {
            md.append(suite.isEmpty() && snapshots.isEmpty() ? "" : "; section 6: ")
                    .append(String.join(", ", connect.stream().map(BenchmarkReport::date).toList()));
        }
        md.append("\n\n");
        md.append("## Targets\n\n| target | measured | met |\n|---|---|---|\n");
        targets.forEach(t -> md.append(t).append('\n'));
        md.append('\n').append(body);
        md.append("""
                ## How to reproduce

                    cdc-benchmarks/run.sh            # builds cdc-benchmarks/target/benchmarks.jar if needed, runs all three parts
                    cdc-benchmarks/run.sh suite      # sections 1-4 only (about 15 minutes on 2 cores)
                    cdc-benchmarks/run.sh snapshots  # section 5 only (about 15 minutes on 2 cores)
                    cdc-benchmarks/run.sh connect    # section 6 only (under 10 minutes on 2 cores)
                    cdc-benchmarks/run.sh report     # regenerates this page from the latest results only

                It starts its own throwaway PostgreSQL through the testkit (or uses `CDC_TEST_JDBC_URL`), writes
                `cdc-benchmarks/results/<date>.json` (sections 1-4), `cdc-benchmarks/results/snapshots-<date>.json`
                (section 5) or `cdc-benchmarks/results/connect-<date>.json` (section 6) and regenerates this page from
                the latest file of each. Single benchmarks run with
                `java -jar cdc-benchmarks/target/benchmarks.jar LatencyBenchmark -p strategy=log` (any JMH option).
                """);
        if (!notes.isBlank()) {
            md.append('\n').append(notes.strip()).append('\n');
        }
        return md.toString();
    }

    /** The prefix of the snapshot run's results file, {@code snapshots-<date>.json}. */
    static final String SNAPSHOT_RESULTS_PREFIX = "snapshots-";
    /** The prefix of the Kafka Connect run's results file, {@code connect-<date>.json}. */
    static final String CONNECT_RESULTS_PREFIX = "connect-";

    private static String files(List<String> names) {
        return String.join(", ", names.stream().map(n -> "`cdc-benchmarks/results/" + n + "`").toList());
    }

    private static String date(String jsonName) {
        return jsonName.replaceAll("\\.json$", "").replaceFirst("^" + SNAPSHOT_RESULTS_PREFIX, "")
                .replaceFirst("^" + CONNECT_RESULTS_PREFIX, "");
    }

    private Optional<Row> find(String benchmark, Predicate<Row> filter) {
        return rows.stream().filter(r -> r.benchmark().equals(benchmark)).filter(filter).findFirst();
    }

    private Optional<Row> find(String benchmark, String method, String strategy) {
        return find(benchmark, r -> r.method().equals(method) && strategy.equals(r.strategy()));
    }

    /** Rows/s of the OLTP writer: single-row autocommit inserts from two clients, no capture. */
    private double oltpWriter() {
        return find(WRITE, "insertSingle", "none").map(Row::score).orElse(Double.NaN);
    }

    private void writerTable(StringBuilder md) {
        md.append("## 1. Writer overhead\n\n");
        md.append("Rows/s written to an orders table (bigint key, int, text, numeric, text, two timestamptz) while the ")
                .append("strategy is installed and capturing, and in brackets the ratio to `none`. Batched: 1 000 rows ")
                .append("per transaction from one client (JDBC batch; inserts rewritten to multi-row statements). ")
                .append("Single: one row per autocommit transaction from two clients. The timestamp strategy's cost ")
                .append("includes the `(updated_at, id)` index it asks for. The strategies run one after the other.\n\n");
        writerRows(md, WRITE_STRATEGIES);
        for (Map.Entry<String, Double> t : new java.util.TreeMap<>(TRIGGER_WRITER_TARGETS).entrySet()) {
            writerTarget(t.getKey(), t.getValue());
        }
        triggersAloneTable(md);
    }

    private void writerRows(StringBuilder md, List<String> all) {
        // a strategy the results do not hold (an older run) gets no column
        List<String> strategies = all.stream().filter(s -> WRITE_OPS.stream().anyMatch(op -> find(WRITE, op, s).isPresent()))
                .toList();
        md.append("| statement |");
        strategies.forEach(s -> md.append(' ').append(s).append(" |"));
        md.append("\n|---|");
        strategies.forEach(s -> md.append("---:|"));
        md.append('\n');
        for (String op : WRITE_OPS) {
            double none = find(WRITE, op, "none").map(Row::score).orElse(Double.NaN);
            md.append("| ").append(op).append(" |");
            for (String s : strategies) {
                Optional<Row> r = find(WRITE, op, s);
                md.append(' ').append(r.map(x -> num(x.score()) + (s.equals("none") ? "" : " (" + ratio(x.score() / none) + ")"))
                        .orElse("—")).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    /** A capturing writer target: the better of the two flavours while their reader runs. */
    private void writerTarget(String op, double goal) {
        double none = find(WRITE, op, "none").map(Row::score).orElse(Double.NaN);
        double row = find(WRITE, op, "trigger-row").map(Row::score).orElse(Double.NaN) / none;
        double stmt = find(WRITE, op, "trigger-statement").map(Row::score).orElse(Double.NaN) / none;
        flavourTarget("capturing", op, goal, row, stmt, "");
    }

    /**
     * A trigger writer target met by the better of the two flavours' ratios to {@code none};
     * {@code others} follows them in the measured column.
     */
    private void flavourTarget(String how, String op, double goal, double row, double stmt, String others) {
        double best = Double.isNaN(row) ? stmt : Double.isNaN(stmt) ? row : Math.max(row, stmt);
        target("trigger writer (" + how + "), " + op + ": best flavour ≥ " + goal + "× `none`",
                ratio(best, goal) + " (" + (best == row ? "row" : "statement") + "; row " + ratio(row) + ", statement "
                        + ratio(stmt) + others + ")",
                best >= goal);
    }

    /** The interleaved measurement of the triggers without a reader ({@code TriggerWriterBenchmark}). */
    private void triggersAloneTable(StringBuilder md) {
        Optional<Row> any = find(TRIGGERS_ALONE, r -> true);
        if (any.isEmpty()) {
            return;
        }
        md.append("**What the triggers alone cost (interleaved).** The trigger strategy's targets were set against ")
                .append("the classic trigger measured with pgbench, which has no reader. `TriggerWriterBenchmark` ")
                .append("measures that way, and interleaved: every variant has its own database on the same server, ")
                .append("and they take turns, ").append(any.get().params().get("sliceMillis")).append(" ms each, for ")
                .append(any.get().params().get("rounds")).append(" rounds after a warm-up round, so a machine whose ")
                .append("speed drifts during the run affects them alike. `trigger-statement` and `trigger-row` are ")
                .append("cdckit's flavours installed with the table's reading lock held as a busy reader holds it, and ")
                .append("no reader: the triggers do all their work (and send no NOTIFY), nothing is read. ")
                .append("`trigger-classic` is the tutorial's `audit_changes()` (`to_jsonb(OLD)`/`to_jsonb(NEW)` into a ")
                .append("log with a `bigserial` key and an index). Two lower bounds, with the statement flavour's ")
                .append("transition-table triggers: `trigger-noop` fires them and does nothing; `trigger-floor` writes ")
                .append("the row images as text with one `INSERT ... SELECT`, like the statement flavour, into a log ")
                .append("with no identity, no index, no transaction time, no advisory locks or NOTIFY and no ")
                .append("output-settings check: no trigger that logs the change in the writer's transaction does ")
                .append("less.\n\n");
        md.append("Rows/s and, in brackets, the ratio to `none`:\n\n");
        aloneRows(md, "RowsPerSecond", BenchmarkReport::num);
        md.append("Server CPU per row: what the writers' sessions used, in µs, and in brackets the ratio to `none` ")
                .append("(from `/proc`, the server being on this host). It does not depend on how fast the machine ")
                .append("wakes a waiting process, which dominates single-row round trips on some machines.\n\n");
        aloneRows(md, "ServerMicrosPerRow", v -> Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.1f", v));
        for (Map.Entry<String, Double> t : new java.util.TreeMap<>(TRIGGER_WRITER_TARGETS).entrySet()) {
            String op = t.getKey();
            double none = alone(op, "none", "RowsPerSecond");
            flavourTarget("triggers alone", op, t.getValue(), alone(op, "row", "RowsPerSecond") / none,
                    alone(op, "statement", "RowsPerSecond") / none,
                    "; classic trigger " + ratio(alone(op, "classic", "RowsPerSecond") / none)
                            + "; bare-trigger floor " + ratio(alone(op, "floor", "RowsPerSecond") / none));
        }
        for (String op : List.of("insertBatch", "updateBatch", "insertSingle")) {
            double floor = alone(op, "floor", "RowsPerSecond");
            if (Double.isNaN(floor)) {
                continue;
            }
            double row = alone(op, "row", "RowsPerSecond") / floor;
            double statement = alone(op, "statement", "RowsPerSecond") / floor;
            double best = Double.isNaN(row) ? statement : Double.isNaN(statement) ? row : Math.max(row, statement);
            target("trigger writer (triggers alone), " + op + ": best flavour ≥ " + TRIGGER_VS_FLOOR_TARGET
                    + "× `trigger-floor`", ratio(best) + " (row " + ratio(row) + ", statement " + ratio(statement) + ")",
                    best >= TRIGGER_VS_FLOOR_TARGET);
        }
    }

    private void aloneRows(StringBuilder md, String counter, java.util.function.DoubleFunction<String> format) {
        md.append("| statement |");
        ALONE_VARIANTS.values().forEach(s -> md.append(' ').append(s).append(" |"));
        md.append("\n|---|");
        ALONE_VARIANTS.values().forEach(s -> md.append("---:|"));
        md.append('\n');
        for (String op : List.of("insertBatch", "updateBatch", "insertSingle")) {
            if (find(TRIGGERS_ALONE, r -> op.equals(r.params().get("statement"))).isEmpty()) {
                continue;
            }
            double none = alone(op, "none", counter);
            md.append("| ").append(op).append(" |");
            for (String v : ALONE_VARIANTS.keySet()) {
                double value = alone(op, v, counter);
                md.append(' ').append(format.apply(value))
                        .append(v.equals("none") ? "" : " (" + ratio(value / none) + ")").append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    /** A counter of the triggers-alone run of {@code op} for a variant (its counter prefix), NaN when missing. */
    private double alone(String op, String variant, String counter) {
        return find(TRIGGERS_ALONE, r -> op.equals(r.params().get("statement")))
                .map(r -> r.counter(variant + counter)).orElse(Double.NaN);
    }

    private void throughputTable(StringBuilder md) {
        md.append("## 2. Capture throughput\n\n");
        Optional<Row> any = find(THROUGHPUT, r -> true);
        md.append("Events/s from the first write to the handler receiving the last of ")
                .append(any.map(r -> num(Double.parseDouble(r.params().get("rows")))).orElse("?"))
                .append(" inserted rows (").append(any.map(r -> num(Double.parseDouble(r.params().get("rowsPerTransaction"))))
                        .orElse("?"))
                .append(" rows per transaction, written as fast as the server takes them while the capture runs). ")
                .append("The OLTP writer is `none` single-row inserts from two clients (section 1): a capture keeps up ")
                .append("when its events/s are at least the writer's rows/s.\n\n");
        double raw = find(THROUGHPUT, "commitToHandler", "debezium-raw").map(r -> r.counter("eventsPerSecond"))
                .orElse(Double.NaN);
        double writer = oltpWriter();
        md.append("| strategy | events/s | × raw Debezium | OLTP writer rows/s | keeps up |\n|---|---:|---:|---:|---|\n");
        find(THROUGHPUT, "commitToHandler", "none").ifPresent(r -> md.append("| none (bulk writer alone) | ")
                .append(num(r.counter("writerRowsPerSecond"))).append(" rows/s written | | | |\n"));
        for (String s : CAPTURE_STRATEGIES) {
            Optional<Row> r = find(THROUGHPUT, "commitToHandler", s);
            if (r.isEmpty()) {
                continue;
            }
            double eps = r.get().counter("eventsPerSecond");
            boolean keeps = eps >= writer;
            md.append("| ").append(s).append(" | ").append(num(eps)).append(" | ").append(ratio(eps / raw))
                    .append(" | ").append(num(writer)).append(" | ").append(keeps ? "yes" : "**no**").append(" |\n");
            if (!s.equals("debezium-raw")) {
                target("capture keeps up with the OLTP writer: " + s, num(eps) + " events/s vs " + num(writer) + " rows/s",
                        keeps);
            }
            if (s.equals("log")) {
                target("log events/s ≥ " + LOG_VS_RAW_TARGET + "× raw Debezium", ratio(eps / raw) + " (" + num(eps)
                        + " vs " + num(raw) + ")", eps / raw >= LOG_VS_RAW_TARGET);
            }
        }
        md.append('\n');
    }

    private void latencyTable(StringBuilder md) {
        md.append("## 3. Commit → handler latency\n\n");
        Optional<Row> any = find(LATENCY, r -> true);
        md.append("One client inserts ").append(any.map(r -> r.params().get("rate")).orElse("?"))
                .append(" rows/s, one autocommit transaction each, for ").append(any.map(r -> r.params().get("seconds"))
                        .orElse("?"))
                .append(" s per iteration; p50 and p99 are medians over the measured iterations (")
                .append(any.map(r -> String.valueOf(r.iterations("p99Ms"))).orElse("?"))
                .append("), max the largest. Clock `commit`: from the commit time the event carries (`source.tsMs`, the server's ")
                .append("clock on the same host, millisecond precision). Clock `writer`: from the writer's clock just ")
                .append("after COMMIT returned (the strategy does not know the commit time). Default settings: ")
                .append("`cdc.poll.interval` 100 ms, `cdc.timestamp.delay` 50 ms, `cdc.log.engine.poll-interval` 10 ms (raw Debezium: ")
                .append("`poll.interval.ms` 10), trigger NOTIFY on.\n\n");
        md.append("| strategy | clock | p50 ms | p99 ms | max ms | p99 writer clock ms | p99 target ms | met |\n")
                .append("|---|---|---:|---:|---:|---:|---:|---|\n");
        for (String s : CAPTURE_STRATEGIES) {
            Optional<Row> r = find(LATENCY, "commitToHandler", s);
            if (r.isEmpty()) {
                continue;
            }
            Strategy st = Strategy.of(s);
            double p99 = latencyMedian(r.get(), "p99Ms");
            double target = switch (st) {
                case LOG -> LOG_P99_TARGET_MS;
                case LOG_PGOUTPUT -> NATIVE_P99_TARGET_MS;
                case TRIGGER_ROW, TRIGGER_STATEMENT -> TRIGGER_P99_TARGET_MS;
                case TIMESTAMP -> TIMESTAMP_P99_TARGET_MS;
                default -> Double.NaN;
            };
            boolean met = p99 <= target;
            md.append("| ").append(s).append(" | ").append(st.knowsCommitTime() ? "commit" : "writer").append(" | ")
                    .append(ms(latencyMedian(r.get(), "p50Ms"))).append(" | ").append(ms(p99)).append(" | ")
                    .append(ms(r.get().counter("maxMs"))).append(" | ").append(ms(latencyMedian(r.get(), "writerClockP99Ms")))
                    .append(" | ").append(Double.isNaN(target) ? "—" : ms(target)).append(" | ")
                    .append(Double.isNaN(target) ? "" : met ? "yes" : "**no**").append(" |\n");
            if (!Double.isNaN(target)) {
                target("commit → handler p99, " + s + " ≤ " + ms(target) + " ms", ms(p99) + " ms", met);
            }
        }
        md.append('\n');
    }

    private void memoryTable(StringBuilder md) {
        md.append("## 4. Heap while streaming\n\n");
        Optional<Row> any = find(MEMORY, r -> true);
        md.append(any.map(r -> num(Double.parseDouble(r.params().get("rows")))).orElse("?"))
                .append(" rows are inserted (").append(any.map(r -> num(Double.parseDouble(r.params().get("rowsPerTransaction"))))
                        .orElse("?"))
                .append(" per transaction) faster than they are captured, in a JVM limited to `-Xmx256m`, and ")
                .append("streamed to a handler that only counts. Peak heap used is sampled every 5 ms (garbage not ")
                .append("yet collected included); the live set is the heap in use after the last collection.\n\n");
        md.append("| strategy | rows | peak heap used MB | peak live set MB | max heap MB | events/s | ≤ 256 MB |\n")
                .append("|---|---:|---:|---:|---:|---:|---|\n");
        for (String s : CAPTURE_STRATEGIES) {
            Optional<Row> r = find(MEMORY, "stream", s);
            if (r.isEmpty()) {
                continue;
            }
            double peak = r.get().counter("peakHeapUsedMb");
            boolean met = peak <= HEAP_TARGET_MB;
            md.append("| ").append(s).append(" | ").append(num(Double.parseDouble(r.get().params().get("rows"))))
                    .append(" | ").append(num(peak)).append(" | ").append(num(r.get().counter("peakHeapAfterGcMb")))
                    .append(" | ").append(num(r.get().counter("maxHeapMb"))).append(" | ")
                    .append(num(r.get().counter("eventsPerSecond"))).append(" | ").append(met ? "yes" : "**no**")
                    .append(" |\n");
            if (!s.equals("debezium-raw")) {
                target("heap streaming " + num(Double.parseDouble(r.get().params().get("rows"))) + " changes, " + s
                        + " ≤ 256 MB", num(peak) + " MB peak used", met);
            }
        }
        md.append('\n');
    }

    /**
     * A snapshot counter of {@code variant} under {@code load} ({@code Idle}, {@code Writer}): the
     * mean over the rounds that measured it, NaN when none did.
     */
    private static double snap(Row r, SnapshotVariant variant, String load, String figure) {
        List<Double> values = r.secondary().get(variant.counterPrefix() + load + figure);
        if (values == null) {
            return Double.NaN;
        }
        return values.stream().mapToDouble(Double::doubleValue).filter(v -> v > 0).average().orElse(Double.NaN);
    }

    /** The largest value of a snapshot counter over the rounds and both loads. */
    private static double snapMax(Row r, SnapshotVariant variant, String figure) {
        double idle = r.counterMax(variant.counterPrefix() + "Idle" + figure);
        double writer = r.counterMax(variant.counterPrefix() + "Writer" + figure);
        double max = Math.max(idle > 0 ? idle : Double.NEGATIVE_INFINITY, writer > 0 ? writer : Double.NEGATIVE_INFINITY);
        return Double.isInfinite(max) ? Double.NaN : max;
    }

    /** The faster of Debezium's incremental snapshots under {@code load}, or empty when none ran. */
    private static Optional<SnapshotVariant> fastestIncremental(Row r, String load) {
        SnapshotVariant best = null;
        for (SnapshotVariant v : DEBEZIUM_INCREMENTAL) {
            double rate = snap(r, v, load, "RowsPerSecond");
            if (!Double.isNaN(rate) && (best == null || rate > snap(r, best, load, "RowsPerSecond"))) {
                best = v;
            }
        }
        return Optional.ofNullable(best);
    }

    private static String chunk(SnapshotVariant v) {
        int chunk = v.effectiveChunkSize();
        return chunk == 0 ? "whole table" : num(chunk);
    }

    private void snapshotTables(StringBuilder md) {
        Optional<Row> found = find(SNAPSHOT, r -> true);
        if (found.isEmpty()) {
            return;
        }
        Row r = found.get();
        String rows = num(Double.parseDouble(r.params().get("rows")));
        int rounds = r.iterations("writerWritesPerSecond");
        md.append("## 5. Snapshot of a ").append(rows).append("-row table\n\n");
        md.append("Rows/s of a fresh snapshot of an orders table of ").append(rows).append(" rows, from creating the ")
                .append("source (or Debezium's engine) until the handler, which only counts, holds the table's last ")
                .append("row; idle, and while one session writes ").append(r.params().get("writesPerSecond"))
                .append(" single-row autocommit statements per second to the same table (in turns an update of a ")
                .append("random row of the table, an insert, and a delete of a row it inserted; it does not catch up ")
                .append("when the machine slows it down, so the rate it kept is shown). The time includes what a fresh ")
                .append("source does first: the trigger strategy installs its triggers, the log strategy and Debezium ")
                .append("create a replication slot. cdckit's strategies run with `cdc.snapshot.mode=initial` and the ")
                .append("default `cdc.snapshot.chunk-size` (").append(num(SnapshotVariant.cdckitChunkSize()))
                .append("); `trigger` is the default statement flavour. Debezium's embedded engine runs as in ")
                .append("section 2: `debezium-initial` with `snapshot.mode=initial` (the whole table in one ")
                .append("REPEATABLE READ transaction), `debezium-incremental` with `snapshot.mode=no_data` and an ")
                .append("`execute-snapshot` signal of type `incremental` inserted into its signal table, at its default ")
                .append("`incremental.snapshot.chunk.size` (").append(num(SnapshotVariant.debeziumChunkSize()))
                .append(") and, as `debezium-incremental-same-chunk`, at cdckit's chunk size. Under the writer, a row ")
                .append("whose read Debezium's incremental snapshot drops because the row changed while its chunk was ")
                .append("open, or that timestamp polling delivers as its update, is held once that change arrived. ")
                .append("The variants are measured interleaved: each has its own database on the same server, and ")
                .append("they take turns, ").append(rounds).append(rounds == 1 ? " round" : " rounds")
                .append(Integer.parseInt(r.params().getOrDefault("warmupRows", "0")) > 0
                        ? " after a warm-up snapshot of a smaller table" : "")
                .append("; the mean of the rounds is shown, and a variant with no figure under a load was not ")
                .append("measured under it. ")
                .append("× initial and × incremental are ratios to Debezium's initial snapshot and to the faster of ")
                .append("its two incremental snapshots (named in the targets) under the same load. All run in one JVM ")
                .append("with `-Xmx256m`; peak heap used is sampled every 5 ms during each snapshot (garbage not yet ")
                .append("collected included), from a collection just before it, and the live set is the heap in use ")
                .append("after collections; both are the largest over rounds and loads.\n\n");
        md.append("| snapshot | chunk rows set | idle rows/s | × initial | × incremental | writer rows/s | × initial | ")
                .append("× incremental | writes/s kept | peak heap used MB | peak live set MB |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<SnapshotVariant> shown = new ArrayList<>(SNAPSHOT_STRATEGIES);
        shown.add(SnapshotVariant.DEBEZIUM_INITIAL);
        shown.addAll(DEBEZIUM_INCREMENTAL);
        for (SnapshotVariant v : shown) {
            if (Double.isNaN(snap(r, v, "Idle", "RowsPerSecond")) && Double.isNaN(snap(r, v, "Writer", "RowsPerSecond"))) {
                continue;
            }
            md.append("| ").append(v.paramName()).append(" | ").append(chunk(v));
            for (String load : List.of("Idle", "Writer")) {
                double rate = snap(r, v, load, "RowsPerSecond");
                double initial = snap(r, SnapshotVariant.DEBEZIUM_INITIAL, load, "RowsPerSecond");
                double incremental = fastestIncremental(r, load).map(f -> snap(r, f, load, "RowsPerSecond"))
                        .orElse(Double.NaN);
                md.append(" | ").append(num(rate)).append(" | ").append(ratio(rate / initial)).append(" | ")
                        .append(ratio(rate / incremental));
            }
            md.append(" | ").append(num(snap(r, v, "Writer", "WritesPerSecond")))
                    .append(" | ").append(num(snapMax(r, v, "PeakHeapMb"))).append(" | ")
                    .append(num(snapMax(r, v, "LiveHeapMb"))).append(" |\n");
        }
        md.append('\n');
        snapshotTargets(r, rows);
        chunkTable(md, r);
    }

    private void snapshotTargets(Row r, String rows) {
        for (SnapshotVariant v : SNAPSHOT_STRATEGIES) {
            if (Double.isNaN(snap(r, v, "Idle", "RowsPerSecond")) && Double.isNaN(snap(r, v, "Writer", "RowsPerSecond"))) {
                continue;
            }
            snapshotTarget(r, v, "Debezium's initial snapshot", SNAPSHOT_VS_INITIAL_TARGET,
                    load -> Optional.of(SnapshotVariant.DEBEZIUM_INITIAL));
            snapshotTarget(r, v, "Debezium's incremental snapshot", SNAPSHOT_VS_INCREMENTAL_TARGET,
                    load -> fastestIncremental(r, load));
        }
        for (SnapshotVariant v : SNAPSHOT_STRATEGIES) {
            double peak = snapMax(r, v, "PeakHeapMb");
            if (Double.isNaN(peak)) {
                continue;
            }
            target("heap snapshotting " + rows + " rows, " + v.paramName() + " ≤ " + num(HEAP_TARGET_MB) + " MB",
                    num(peak) + " MB peak used (live set " + num(snapMax(r, v, "LiveHeapMb")) + " MB)",
                    peak <= HEAP_TARGET_MB);
        }
    }

    /**
     * A snapshot target met when {@code v}'s rows/s, the mean of the rounds, reach {@code goal}× the
     * reference's, idle and under the writer; the lowest and highest ratio of a single round follow.
     */
    private void snapshotTarget(Row r, SnapshotVariant v, String reference, double goal,
                                java.util.function.Function<String, Optional<SnapshotVariant>> referenceOf) {
        List<String> parts = new ArrayList<>();
        boolean met = true;
        for (String load : List.of("Idle", "Writer")) {
            double rate = snap(r, v, load, "RowsPerSecond");
            Optional<SnapshotVariant> ref = referenceOf.apply(load);
            double refRate = ref.map(x -> snap(r, x, load, "RowsPerSecond")).orElse(Double.NaN);
            if (Double.isNaN(rate) || Double.isNaN(refRate)) {
                continue;
            }
            double x = rate / refRate;
            met &= x >= goal;
            String chunkNote = ref.get().kind() == SnapshotVariant.Kind.DEBEZIUM_INCREMENTAL
                    ? ", its chunk " + chunk(ref.get()) : "";
            List<Double> rounds = perRound(r, v, ref.get(), load);
            String roundsNote = rounds.size() < 2 ? ""
                    : "; rounds " + ratio(rounds.stream().mapToDouble(Double::doubleValue).min().orElseThrow()) + "–"
                            + ratio(rounds.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
            parts.add((load.equals("Idle") ? "idle " : "writer ") + ratio(x, goal) + " (" + num(rate) + " vs "
                    + num(refRate) + " rows/s" + chunkNote + roundsNote + ")");
        }
        if (parts.isEmpty()) {
            return;
        }
        target("snapshot, " + v.paramName() + " ≥ " + (goal == Math.rint(goal) ? String.format(Locale.ROOT, "%.1f", goal)
                        : String.valueOf(goal)) + "× " + reference + ", idle and under a writer",
                String.join("; ", parts), met);
    }

    /**
     * The per-round ratios of {@code v}'s rows/s to {@code ref}'s under {@code load}, for the rounds
     * that measured both (the rounds of a run are in the same order in every counter).
     */
    private static List<Double> perRound(Row r, SnapshotVariant v, SnapshotVariant ref, String load) {
        List<Double> a = r.secondary().get(v.counterPrefix() + load + "RowsPerSecond");
        List<Double> b = r.secondary().get(ref.counterPrefix() + load + "RowsPerSecond");
        List<Double> out = new ArrayList<>();
        if (a == null || b == null) {
            return out;
        }
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (a.get(i) > 0 && b.get(i) > 0) {
                out.add(a.get(i) / b.get(i));
            }
        }
        return out;
    }

    /** The trigger strategy's snapshot at each chunk size, and the fastest one here. */
    private void chunkTable(StringBuilder md, Row r) {
        List<SnapshotVariant> measured = TRIGGER_CHUNKS.stream()
                .filter(v -> !Double.isNaN(snap(r, v, "Idle", "RowsPerSecond"))
                        || !Double.isNaN(snap(r, v, "Writer", "RowsPerSecond")))
                .toList();
        if (measured.size() < 2 || !measured.contains(SnapshotVariant.TRIGGER)) {
            return;
        }
        md.append("**Chunk size.** The trigger strategy's snapshot at ").append(measured.size())
                .append(" `cdc.snapshot.chunk-size` values, in the same rounds: rows/s, and in brackets the ratio ")
                .append("to the default ").append(num(SnapshotVariant.cdckitChunkSize()))
                .append(" (mean of the rounds; the lowest and highest ratio of a single round):\n\n");
        md.append("| chunk rows | idle rows/s | writer rows/s | peak heap used MB | peak live set MB |\n")
                .append("|---:|---:|---:|---:|---:|\n");
        Map<String, SnapshotVariant> best = new LinkedHashMap<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (SnapshotVariant v : measured) {
            md.append("| ").append(chunk(v)).append(v == SnapshotVariant.TRIGGER ? " (default)" : "");
            for (String load : List.of("Idle", "Writer")) {
                double rate = snap(r, v, load, "RowsPerSecond");
                double def = snap(r, SnapshotVariant.TRIGGER, load, "RowsPerSecond");
                md.append(" | ").append(num(rate));
                List<Double> rounds = perRound(r, v, SnapshotVariant.TRIGGER, load);
                if (v != SnapshotVariant.TRIGGER && !Double.isNaN(rate) && !Double.isNaN(def)) {
                    md.append(" (").append(ratio(rate / def));
                    if (rounds.size() > 1) {
                        md.append("; ").append(ratio(rounds.stream().mapToDouble(Double::doubleValue).min().orElseThrow()))
                                .append("–").append(ratio(rounds.stream().mapToDouble(Double::doubleValue).max()
                                        .orElseThrow()));
                    }
                    md.append(')');
                }
                SnapshotVariant b = best.get(load);
                if (!Double.isNaN(rate)) {
                    sizes.merge(load, 1, Integer::sum);
                    if (b == null || rate > snap(r, b, load, "RowsPerSecond")) {
                        best.put(load, v);
                    }
                }
            }
            md.append(" | ").append(num(snapMax(r, v, "PeakHeapMb"))).append(" | ")
                    .append(num(snapMax(r, v, "LiveHeapMb"))).append(" |\n");
        }
        md.append('\n');
        List<String> fastest = new ArrayList<>();
        for (Map.Entry<String, SnapshotVariant> e : best.entrySet()) {
            if (sizes.get(e.getKey()) < 2) {
                continue;
            }
            String load = e.getKey().equals("Idle") ? "idle" : "under the writer";
            SnapshotVariant v = e.getValue();
            if (v == SnapshotVariant.TRIGGER) {
                fastest.add(chunk(v) + " rows " + load + " (the default)");
            } else {
                List<Double> rounds = perRound(r, v, SnapshotVariant.TRIGGER, e.getKey());
                long ahead = rounds.stream().filter(x -> x > 1).count();
                fastest.add(chunk(v) + " rows " + load + " (ahead of the default in " + ahead + " of " + rounds.size()
                        + (rounds.size() == 1 ? " round)" : " rounds)"));
            }
        }
        if (!fastest.isEmpty()) {
            md.append("Fastest on this machine, by the mean of the rounds: ").append(String.join(", ", fastest))
                    .append(".\n\n");
        }
    }

    /** The median of a latency counter over the iterations (0 ms is a measurement), NaN when none. */
    static double latencyMedian(Row r, String counter) {
        List<Double> values = r.secondary().get(counter);
        return values == null ? Double.NaN
                : middle(values.stream().mapToDouble(Double::doubleValue).filter(x -> !Double.isNaN(x)).sorted().toArray());
    }

    /** The median of a counter's positive values over the rounds, NaN when none. */
    static double median(Row r, String counter) {
        List<Double> values = r.secondary().get(counter);
        if (values == null) {
            return Double.NaN;
        }
        return middle(values.stream().mapToDouble(Double::doubleValue).filter(x -> x > 0).sorted().toArray());
    }

    /** The median of sorted values, NaN when there are none. */
    private static double middle(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Per round, {@code a}'s counter divided by {@code b}'s, for the rounds that measured both. */
    private static List<Double> perRound(Row r, String a, String b) {
        List<Double> x = r.secondary().get(a);
        List<Double> y = r.secondary().get(b);
        List<Double> out = new ArrayList<>();
        if (x == null || y == null) {
            return out;
        }
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            if (x.get(i) > 0 && y.get(i) > 0) {
                out.add(x.get(i) / y.get(i));
            }
        }
        return out;
    }

    private static String range(List<Double> values) {
        if (values.isEmpty()) {
            return "—";
        }
        return ratio(values.stream().mapToDouble(Double::doubleValue).min().orElseThrow()) + "–"
                + ratio(values.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }

    private void connectTable(StringBuilder md) {
        Optional<Row> found = find(CONNECT, r -> true);
        if (found.isEmpty()) {
            return;
        }
        Row r = found.get();
        String rowsPerRun = num(Double.parseDouble(r.params().get("rows")));
        int rounds = CONNECT_PEERS.stream().mapToInt(p -> r.iterations(p + "EventsPerSecond")).max().orElse(0);
        String overrides = r.params().getOrDefault("producerOverrides", "");
        md.append("## 6. Kafka Connect: commit → Kafka\n\n");
        md.append("Events/s from the start of the first insert until the topic holds the last of ").append(rowsPerRun)
                .append(" inserted rows (").append(num(Double.parseDouble(r.params().get("rowsPerTransaction"))))
                .append(" rows per autocommit `INSERT ... SELECT`, written as fast as the server takes them), through ")
                .append("Kafka Connect: cdckit's `io.cdckit.connect.CdcSourceConnector` in each `cdc.mode` and ")
                .append("Debezium's own `io.debezium.connector.postgresql.PostgresConnector` (`plugin.name=pgoutput`, ")
                .append("its own slot and publication, `snapshot.mode=no_data`, `poll.interval.ms` ")
                .append(ConnectPeer.DEBEZIUM_POLL_INTERVAL_MS)
                .append(" as cdckit's log strategy sets it for its engine, its other settings at their defaults), ")
                .append("side by side on the same in-JVM Connect cluster: one distributed worker over one KRaft broker, ")
                .append("JSON converter with schemas, no exactly-once support, ")
                .append(overrides.isBlank() ? "the worker's producer as Connect sets it up"
                        : "every connector's producer with `" + overrides.replace(";", "`, `") + "`")
                .append(". cdckit's connector runs with its defaults (`cdc.batch.max-size` 1 000, `cdc.poll.interval` ")
                .append("100 ms, the trigger strategy's statement flavour), `cdc.snapshot.mode=never`, one task. ")
                .append("A run takes a fresh database, table, connector and topic; the connector already streams ")
                .append("when the rows are written (a probe row reached its topic). A row counts as arrived when the ")
                .append("broker acknowledged it: the topic's end offset for a read_committed consumer, read every 5 ms. ")
                .append("The connectors are measured interleaved, ").append(rounds)
                .append(rounds == 1 ? " round" : " rounds")
                .append(Integer.parseInt(r.params().getOrDefault("warmupRows", "0")) > 0
                        ? " after a warm-up run of " + num(Double.parseDouble(r.params().get("warmupRows")))
                                + " rows each" : "")
                .append(", each round starting with the next connector; shown are the medians over the rounds, ")
                .append("× Debezium is the ratio of the medians, and the range is the lowest and highest ratio ")
                .append("within a single round. First row: from the first insert until the first row was in the ")
                .append("topic. Bytes a record: the topic's size on the broker divided by its records.\n\n");
        md.append("| connector | events/s | × Debezium | rounds × Debezium | first row ms | writer rows/s | bytes a record |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|\n");
        double debezium = median(r, "debeziumEventsPerSecond");
        for (String p : CONNECT_PEERS) {
            double eps = median(r, p + "EventsPerSecond");
            if (Double.isNaN(eps)) {
                continue;
            }
            boolean ref = p.equals("debezium");
            md.append("| ").append(ref ? "Debezium's PostgresConnector" : "cdckit " + p).append(" | ").append(num(eps))
                    .append(" | ").append(ref ? "1.00×" : ratio(eps / debezium)).append(" | ")
                    .append(ref ? "" : range(perRound(r, p + "EventsPerSecond", "debeziumEventsPerSecond")))
                    .append(" | ").append(num(median(r, p + "FirstRecordMs"))).append(" | ")
                    .append(num(median(r, p + "WriterRowsPerSecond"))).append(" | ")
                    .append(num(median(r, p + "BytesPerRecord"))).append(" |\n");
        }
        md.append('\n');
        List<String> extra = new ArrayList<>();
        for (String p : CONNECT_PEERS) {
            double sum = r.secondary().getOrDefault(p + "ExtraRecords", List.of()).stream()
                    .mapToDouble(Double::doubleValue).sum();
            if (sum > 0) {
                extra.add(p + " " + num(sum));
            }
        }
        md.append(extra.isEmpty() ? "Every topic held exactly its rows (and the probes), the last row last.\n\n"
                : "Records beyond the rows and probes (duplicates), summed over the rounds: " + String.join(", ", extra)
                        + ".\n\n");
        for (Map.Entry<String, Double> t : CONNECT_TARGETS.entrySet()) {
            double eps = median(r, t.getKey() + "EventsPerSecond");
            if (Double.isNaN(eps) || Double.isNaN(debezium)) {
                continue;
            }
            double x = eps / debezium;
            target("Kafka Connect, cdckit " + t.getKey() + " events/s ≥ " + String.format(Locale.ROOT, "%.1f", t.getValue())
                            + "× Debezium's connector", ratio(x, t.getValue()) + " (median " + num(eps) + " vs " + num(debezium)
                            + " events/s; rounds " + range(perRound(r, t.getKey() + "EventsPerSecond",
                            "debeziumEventsPerSecond")) + ")",
                    x >= t.getValue());
        }
    }

    private void target(String what, String measured, boolean met) {
        targets.add("| " + what + " | " + measured + " | " + (met ? "yes" : "**no**") + " |");
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%,d", Math.round(v)).replace(',', ' ');
    }

    static String ms(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, v < 10 ? "%.1f" : "%.0f", v);
    }

    /** A ratio next to its goal: with three decimals where two would round it onto the goal. */
    static String ratio(double v, double goal) {
        return Math.abs(v - goal) < 0.005 && v != goal ? String.format(Locale.ROOT, "%.3f×", v) : ratio(v);
    }

    static String ratio(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "—" : String.format(Locale.ROOT, "%.2f×", v);
    }
}
