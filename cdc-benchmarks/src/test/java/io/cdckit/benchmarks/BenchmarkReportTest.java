package io.cdckit.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The snapshot section of the report, its targets and how it names the results files. */
class BenchmarkReportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A snapshot run's JMH result with three rounds; counters not given are left out, as in a run that skips them. */
    private static ObjectNode snapshotResult(Object... counters) {
        ObjectNode b = JSON.createObjectNode();
        b.put("benchmark", "io.cdckit.benchmarks.SnapshotBenchmark.interleaved");
        ObjectNode params = b.putObject("params");
        params.put("rows", "1000000");
        params.put("writesPerSecond", "600");
        params.put("warmupRows", "20000");
        b.putObject("primaryMetric").put("score", 300).put("scoreUnit", "s/op");
        ObjectNode secondary = b.putObject("secondaryMetrics");
        for (int i = 0; i < counters.length; i += 2) {
            double[] rounds = (double[]) counters[i + 1];
            ArrayNode fork = secondary.putObject((String) counters[i]).putArray("rawData").addArray();
            for (double v : rounds) {
                fork.add(v);
            }
        }
        return b;
    }

    private static double[] rounds(double... values) {
        return values;
    }

    private static String report(ObjectNode... results) {
        ArrayNode root = JSON.createArrayNode();
        for (ObjectNode r : results) {
            root.add(r);
        }
        return new BenchmarkReport(BenchmarkReport.read(root))
                .markdown("test machine", List.of("2026-12-02.json", "snapshots-2026-12-03.json"), "");
    }

    private static ObjectNode typicalRun() {
        return snapshotResult(
                "logIdleRowsPerSecond", rounds(50_000, 60_000, 55_000),
                "logWriterRowsPerSecond", rounds(45_000, 50_000, 55_000),
                "logIdlePeakHeapMb", rounds(120, 130, 125),
                "logWriterPeakHeapMb", rounds(140, 120, 125),
                "logIdleLiveHeapMb", rounds(20, 21, 22),
                "logWriterLiveHeapMb", rounds(20, 23, 22),
                "triggerIdleRowsPerSecond", rounds(140_000, 140_000, 140_000),
                "triggerWriterRowsPerSecond", rounds(110_000, 120_000, 115_000),
                "triggerIdlePeakHeapMb", rounds(150, 160, 155),
                "triggerWriterPeakHeapMb", rounds(150, 161, 155),
                "triggerIdleLiveHeapMb", rounds(21, 21, 21),
                "timestampIdleRowsPerSecond", rounds(40_000, 40_000, 40_000),
                "timestampWriterRowsPerSecond", rounds(40_000, 40_000, 40_000),
                "timestampIdlePeakHeapMb", rounds(300, 120, 120),
                "debeziumInitialIdleRowsPerSecond", rounds(50_000, 50_000, 50_000),
                "debeziumInitialWriterRowsPerSecond", rounds(50_000, 50_000, 50_000),
                "debeziumIncrementalIdleRowsPerSecond", rounds(20_000, 20_000, 20_000),
                "debeziumIncrementalSameChunkIdleRowsPerSecond", rounds(25_000, 25_000, 25_000),
                "debeziumIncrementalSameChunkWriterRowsPerSecond", rounds(25_000, 25_000, 25_000),
                "debeziumIncrementalSameChunkWriterWritesPerSecond", rounds(550, 560, 570),
                "trigger1024IdleRowsPerSecond", rounds(100_000, 100_000, 100_000),
                "trigger16384IdleRowsPerSecond", rounds(80_000, 0, 0),
                "writerWritesPerSecond", rounds(550, 560, 570));
    }

    @Test
    void targetsCompareEachStrategyWithDebeziumsInitialAndFasterIncrementalSnapshot() {
        String md = report(typicalRun());

        assertThat(md).contains("| snapshot, log ≥ 1.0× Debezium's initial snapshot, idle and under a writer | "
                + "idle 1.10× (55 000 vs 50 000 rows/s; rounds 1.00×–1.20×); "
                + "writer 1.00× (50 000 vs 50 000 rows/s; rounds 0.90×–1.10×) | yes |");
        assertThat(md).contains("| snapshot, trigger ≥ 2.0× Debezium's incremental snapshot, idle and under a writer | "
                + "idle 5.60× (140 000 vs 25 000 rows/s, its chunk 4 096; rounds 5.60×–5.60×); "
                + "writer 4.60× (115 000 vs 25 000 rows/s, its chunk 4 096; rounds 4.40×–4.80×) | yes |");
        assertThat(md).contains("| snapshot, log ≥ 2.0× Debezium's incremental snapshot, idle and under a writer | "
                + "idle 2.20× (55 000 vs 25 000 rows/s, its chunk 4 096; rounds 2.00×–2.40×); "
                + "writer 2.00× (50 000 vs 25 000 rows/s, its chunk 4 096; rounds 1.80×–2.20×) | yes |");
        assertThat(md).contains("| snapshot, timestamp ≥ 1.0× Debezium's initial snapshot, idle and under a writer | "
                + "idle 0.80× (40 000 vs 50 000 rows/s; rounds 0.80×–0.80×); "
                + "writer 0.80× (40 000 vs 50 000 rows/s; rounds 0.80×–0.80×) | **no** |");
        assertThat(md).contains("| heap snapshotting 1 000 000 rows, trigger ≤ 256 MB | 161 MB peak used "
                + "(live set 21 MB) | yes |");
        assertThat(md).contains("| heap snapshotting 1 000 000 rows, timestamp ≤ 256 MB | 300 MB peak used");
        assertThat(md).contains("| heap snapshotting 1 000 000 rows, timestamp ≤ 256 MB | 300 MB peak used (live set — MB) "
                + "| **no** |");
    }

    @Test
    void tableShowsEveryVariantMeasuredAndLeavesTheOthersOut() {
        String md = report(typicalRun());

        assertThat(md).contains("## 5. Snapshot of a 1 000 000-row table");
        assertThat(md).contains("| trigger | 4 096 | 140 000 | 2.80× | 5.60× | 115 000 | 2.30× | 4.60× | — | 161 | 21 |");
        assertThat(md).contains("| debezium-initial | whole table | 50 000 | 1.00× | 2.00× | 50 000 | 1.00× | 2.00× |");
        assertThat(md).contains("| debezium-incremental | 1 024 | 20 000 | 0.40× | 0.80× | — | — | — | — |");
        assertThat(md).contains("| debezium-incremental-same-chunk | 4 096 | 25 000 | 0.50× | 1.00× | 25 000 | 0.50× "
                + "| 1.00× | 560 |");
    }

    @Test
    void chunkSizesAreComparedWithTheDefaultAndRoundsThatDidNotMeasureAreLeftOut() {
        String md = report(typicalRun());

        assertThat(md).contains("| 1 024 | 100 000 (0.71×; 0.71×–0.71×) | — |");
        assertThat(md).contains("| 4 096 (default) | 140 000 | 115 000 |");
        assertThat(md).contains("| 16 384 | 80 000 (0.57×) | — |");
        assertThat(md).contains("Fastest on this machine, by the mean of the rounds: 4 096 rows idle (the default).");
    }

    @Test
    void fastestChunkUnderTheWriterOnceMoreThanOneSizeRanUnderIt() {
        ObjectNode run = typicalRun();
        ((ObjectNode) run.get("secondaryMetrics")).putObject("trigger16384WriterRowsPerSecond").putArray("rawData")
                .addArray().add(130_000).add(120_000).add(125_000);
        String md = report(run);

        assertThat(md).contains("| 16 384 | 80 000 (0.57×) | 125 000 (1.09×; 1.00×–1.18×) |");
        assertThat(md).contains("Fastest on this machine, by the mean of the rounds: 4 096 rows idle (the default), "
                + "16 384 rows under the writer (ahead of the default in 2 of 3 rounds).");
    }

    @Test
    void namesBothResultsFilesAndTheirDates() {
        String md = report(typicalRun());

        assertThat(md).contains("from the JMH results `cdc-benchmarks/results/2026-12-02.json` (a short suite");
        assertThat(md).contains("and `cdc-benchmarks/results/snapshots-2026-12-03.json` (the snapshots of section 5");
        assertThat(md).contains("- **Date:** 2026-12-02; section 5: 2026-12-03");
    }

    /** A Kafka Connect run's JMH result; each counter's values are its rounds. */
    private static ObjectNode connectResult(String producerOverrides, Object... counters) {
        ObjectNode b = JSON.createObjectNode();
        b.put("benchmark", "io.cdckit.benchmarks.ConnectBenchmark.interleaved");
        ObjectNode params = b.putObject("params");
        params.put("peers", "log,trigger,timestamp,debezium");
        params.put("rows", "50000");
        params.put("rowsPerTransaction", "1000");
        params.put("warmupRows", "10000");
        params.put("producerOverrides", producerOverrides);
        b.putObject("primaryMetric").put("score", 60).put("scoreUnit", "s/op");
        ObjectNode secondary = b.putObject("secondaryMetrics");
        for (int i = 0; i < counters.length; i += 2) {
            ArrayNode fork = secondary.putObject((String) counters[i]).putArray("rawData").addArray();
            for (double v : (double[]) counters[i + 1]) {
                fork.add(v);
            }
        }
        return b;
    }

    private static ObjectNode typicalConnectRun() {
        return connectResult("",
                "logEventsPerSecond", rounds(4_000, 5_000, 3_000, 4_000, 4_200),
                "triggerEventsPerSecond", rounds(5_000, 5_500, 6_000, 4_000, 5_200),
                "timestampEventsPerSecond", rounds(6_000, 6_500, 7_000, 6_200, 5_900),
                "debeziumEventsPerSecond", rounds(5_000, 5_000, 5_000, 4_000, 6_000),
                "logFirstRecordMs", rounds(30, 40, 20, 35, 25),
                "debeziumFirstRecordMs", rounds(15, 20, 10, 30, 25),
                "logWriterRowsPerSecond", rounds(90_000, 90_000, 90_000, 90_000, 90_000),
                "logBytesPerRecord", rounds(3_760, 3_760, 3_760, 3_760, 3_760),
                "debeziumBytesPerRecord", rounds(4_300, 4_300, 4_300, 4_300, 4_300),
                "logExtraRecords", rounds(0, 0, 0, 0, 0),
                "debeziumExtraRecords", rounds(0, 0, 0, 0, 0));
    }

    private static String connectReport(ObjectNode result) {
        ArrayNode root = JSON.createArrayNode();
        root.add(result);
        return new BenchmarkReport(BenchmarkReport.read(root))
                .markdown("test machine", List.of("2026-12-02.json", "snapshots-2026-12-03.json",
                        "connect-2026-12-04.json"), "");
    }

    @Test
    void connectSectionShowsMediansAndRatiosToDebeziumsConnectorMeasuredInTheSameRun() {
        String md = connectReport(typicalConnectRun());

        assertThat(md).contains("## 6. Kafka Connect: commit → Kafka");
        assertThat(md).contains("5 rounds after a warm-up run of 10 000 rows each");
        assertThat(md).contains("the worker's producer as Connect sets it up");
        assertThat(md).contains("| cdckit log | 4 000 | 0.80× | 0.60×–1.00× | 30 | 90 000 | 3 760 |");
        assertThat(md).contains("| cdckit trigger | 5 200 | 1.04× | 0.87×–1.20× | — | — | — |");
        assertThat(md).contains("| Debezium's PostgresConnector | 5 000 | 1.00× |  | 20 | — | 4 300 |");
        assertThat(md).contains("Every topic held exactly its rows");
    }

    @Test
    void connectTargetsAreTheRatiosOfTheMedians() {
        String md = connectReport(typicalConnectRun());

        assertThat(md).contains("| Kafka Connect, cdckit log events/s ≥ 0.9× Debezium's connector | 0.80× (median 4 000 "
                + "vs 5 000 events/s; rounds 0.60×–1.00×) | **no** |");
        assertThat(md).contains("| Kafka Connect, cdckit trigger events/s ≥ 1.0× Debezium's connector | 1.04× (median "
                + "5 200 vs 5 000 events/s; rounds 0.87×–1.20×) | yes |");
        assertThat(md).contains("| Kafka Connect, cdckit timestamp events/s ≥ 1.0× Debezium's connector | 1.24× (median "
                + "6 200 vs 5 000 events/s; rounds 0.98×–1.55×) | yes |");
    }

    @Test
    void connectSectionNamesItsFileDateProducerSettingsAndDuplicates() {
        ObjectNode run = connectResult("batch.size=1048576;linger.ms=5",
                "triggerEventsPerSecond", rounds(5_000, 5_000, 5_000),
                "debeziumEventsPerSecond", rounds(5_000, 5_000, 5_000),
                "triggerExtraRecords", rounds(0, 3, 0));
        String md = connectReport(run);

        assertThat(md).contains("and `cdc-benchmarks/results/connect-2026-12-04.json` (the Kafka Connect connectors of "
                + "section 6");
        assertThat(md).contains("- **Date:** 2026-12-02; section 5: 2026-12-03; section 6: 2026-12-04");
        assertThat(md).contains("every connector's producer with `batch.size=1048576`, `linger.ms=5`");
        assertThat(md).contains("3 rounds after");
        assertThat(md).contains("Records beyond the rows and probes (duplicates), summed over the rounds: trigger 3.");
        assertThat(md).doesNotContain("cdckit log events/s ≥");
    }

    @Test
    void noSnapshotSectionWithoutSnapshotResults() {
        ArrayNode root = JSON.createArrayNode();
        String md = new BenchmarkReport(BenchmarkReport.read(root)).markdown("test machine", "2026-12-02.json", "");

        assertThat(md).doesNotContain("## 5.").doesNotContain("snapshot, log");
        assertThat(md).contains("- **Date:** 2026-12-02\n");
    }
}
