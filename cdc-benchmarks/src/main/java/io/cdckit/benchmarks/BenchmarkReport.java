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
 * Turns the JMH JSON of a benchmark run into {@code docs/benchmarks.md}: the machine, the tables
 * of each benchmark with ratios to {@code none} and to raw Debezium, and the targets with whether
 * each is met. Usage: {@code BenchmarkReport RESULTS.json OUTPUT.md [NOTES.md]}; the notes (the
 * profiling before/after) are appended as they are.
 */
public final class BenchmarkReport {

    static final double LOG_VS_RAW_TARGET = 0.95;
    static final double LOG_P99_TARGET_MS = 20;
    static final double TRIGGER_P99_TARGET_MS = 50;
    /** cdc.poll.interval + cdc.timestamp.delay at their defaults (100 ms + 50 ms). */
    static final double TIMESTAMP_P99_TARGET_MS = 150;
    static final double HEAP_TARGET_MB = 256;
    static final Map<String, Double> TRIGGER_WRITER_TARGETS = Map.of(
            "insertBatch", 0.5, "updateBatch", 0.35, "insertSingle", 0.85);

    private static final String WRITE = "WriteOverheadBenchmark";
    private static final String THROUGHPUT = "CaptureThroughputBenchmark";
    private static final String LATENCY = "LatencyBenchmark";
    private static final String MEMORY = "MemoryBenchmark";
    private static final List<String> WRITE_OPS = List.of("insertBatch", "updateBatch", "insertSingle", "updateSingle",
            "deleteSingle");
    private static final List<String> WRITE_STRATEGIES = List.of("none", "log", "trigger-row", "trigger-statement",
            "timestamp");
    private static final String TRIGGERS_ALONE = "TriggerWriterBenchmark";
    /** The counter prefixes of {@code TriggerWriterBenchmark}'s variants and their column names. */
    private static final Map<String, String> ALONE_VARIANTS = aloneVariants();
    private static final List<String> CAPTURE_STRATEGIES = List.of("log", "debezium-raw", "trigger-row",
            "trigger-statement", "timestamp");

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
        if (args.length < 2) {
            System.err.println("Usage: BenchmarkReport RESULTS.json OUTPUT.md [NOTES.md]");
            System.exit(2);
        }
        Path json = Path.of(args[0]);
        Path out = Path.of(args[1]);
        String notes = args.length > 2 && Files.exists(Path.of(args[2]))
                ? Files.readString(Path.of(args[2]), StandardCharsets.UTF_8) : "";
        BenchmarkReport report = new BenchmarkReport(read(new ObjectMapper().readTree(json.toFile())));
        String md = report.markdown(machine(), json.getFileName().toString(), notes);
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
        StringBuilder body = new StringBuilder();
        writerTable(body);
        throughputTable(body);
        latencyTable(body);
        memoryTable(body);

        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Generated by `cdc-benchmarks/run.sh` from the JMH results `cdc-benchmarks/results/").append(jsonName)
                .append("` (a short suite: one fork, few and short iterations). Every number is from one run on one ")
                .append("machine, with PostgreSQL on the same host; other work may have run alongside, so compare ")
                .append("ratios within the run, not absolute figures across machines.\n\n");
        md.append("- **Machine:** ").append(machine).append('\n');
        md.append("- **Date:** ").append(jsonName.replaceAll("\\.json$", "")).append("\n\n");
        md.append("## Targets\n\n| target | measured | met |\n|---|---|---|\n");
        targets.forEach(t -> md.append(t).append('\n'));
        md.append('\n').append(body);
        md.append("""
                ## How to reproduce

                    cdc-benchmarks/run.sh            # builds cdc-benchmarks/target/benchmarks.jar if needed, runs the short suite

                It starts its own throwaway PostgreSQL through the testkit (or uses `CDC_TEST_JDBC_URL`), writes
                `cdc-benchmarks/results/<date>.json` and regenerates this page. Single benchmarks run with
                `java -jar cdc-benchmarks/target/benchmarks.jar LatencyBenchmark -p strategy=log` (any JMH option).
                """);
        if (!notes.isBlank()) {
            md.append('\n').append(notes.strip()).append('\n');
        }
        return md.toString();
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

    private void writerRows(StringBuilder md, List<String> strategies) {
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
                .append(" s. Clock `commit`: from the commit time the event carries (`source.tsMs`, the server's ")
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
            double p99 = r.get().counter("p99Ms");
            double target = switch (st) {
                case LOG -> LOG_P99_TARGET_MS;
                case TRIGGER_ROW, TRIGGER_STATEMENT -> TRIGGER_P99_TARGET_MS;
                case TIMESTAMP -> TIMESTAMP_P99_TARGET_MS;
                default -> Double.NaN;
            };
            boolean met = p99 <= target;
            md.append("| ").append(s).append(" | ").append(st.knowsCommitTime() ? "commit" : "writer").append(" | ")
                    .append(ms(r.get().counter("p50Ms"))).append(" | ").append(ms(p99)).append(" | ")
                    .append(ms(r.get().counter("maxMs"))).append(" | ").append(ms(r.get().counter("writerClockP99Ms")))
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
