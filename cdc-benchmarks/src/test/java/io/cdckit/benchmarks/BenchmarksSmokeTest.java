package io.cdckit.benchmarks;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every benchmark once, in this JVM, with tiny sizes and one short iteration, so they cannot
 * rot: each must finish and produce a result. The numbers mean nothing here; the real suite is
 * {@code cdc-benchmarks/run.sh}.
 */
class BenchmarksSmokeTest {

    private static ChainedOptionsBuilder tiny(String benchmark) {
        return new OptionsBuilder()
                .include(benchmark)
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(300))
                .threads(1)
                .timeout(TimeValue.seconds(60))
                .shouldFailOnError(true);
    }

    @Test
    void writeOverheadOfEveryStatementWhileCapturing() throws Exception {
        Collection<RunResult> results = new Runner(tiny(WriteOverheadBenchmark.class.getName() + "\\.")
                .param("strategy", "trigger-row")
                .param("rows", "3000")
                .param("deleteRows", "30000")
                .build()).run();
        assertThat(results).hasSize(5);
        results.forEach(r -> assertThat(r.getPrimaryResult().getScore()).as(label(r)).isPositive());
    }

    /**
     * The triggers-alone measurement, interleaved over no capture, the two bare-trigger bounds,
     * cdckit's flavours with their reader held (closing releases it) and the classic trigger.
     */
    @Test
    void writeOverheadOfTriggersAloneInterleaved() throws Exception {
        Collection<RunResult> results = new Runner(tiny(TriggerWriterBenchmark.class.getName() + "\\.")
                .param("rounds", "1")
                .param("sliceMillis", "200")
                .param("rows", "3000")
                .build()).run();
        assertThat(results).hasSize(3);
        for (RunResult r : results) {
            for (String variant : List.of("none", "noop", "floor", "statement", "row", "classic")) {
                assertThat(r.getSecondaryResults().get(variant + "RowsPerSecond").getScore())
                        .as(r.getParams().getParam("statement") + " " + variant).isPositive();
            }
        }
    }

    @Test
    void logHandoffAgainstRawDebeziumInterleaved() throws Exception {
        Collection<RunResult> results = new Runner(tiny(LogHandoffBenchmark.class.getName() + "\\.")
                .param("rows", "2000")
                .param("rowsPerTransaction", "500")
                .build()).run();
        assertThat(results).hasSize(1);
        RunResult r = results.iterator().next();
        assertThat(r.getSecondaryResults().get("logEventsPerSecond").getScore()).isPositive();
        assertThat(r.getSecondaryResults().get("rawEventsPerSecond").getScore()).isPositive();
        assertThat(r.getSecondaryResults().get("logToRaw").getScore()).isPositive();
    }

    @Test
    void theNativeEngineAndTheServerDrainTheSameBacklog() throws Exception {
        Collection<RunResult> results = new Runner(tiny(LogEngineBenchmark.class.getName() + "\\.")
                .param("rows", "2000")
                .param("rowsPerTransaction", "500")
                .param("peers", "log-pgoutput+server")
                .build()).run();
        assertThat(results).hasSize(1);
        RunResult r = results.iterator().next();
        for (String counter : List.of("nativeEventsPerSecond", "serverRowsPerSecond", "nativeToServer")) {
            assertThat(r.getSecondaryResults().get(counter).getScore()).as(counter).isPositive();
        }
    }

    @Test
    void captureThroughputOfEveryStrategy() throws Exception {
        Collection<RunResult> results = new Runner(tiny(CaptureThroughputBenchmark.class.getName() + "\\.")
                .param("rows", "2000")
                .param("rowsPerTransaction", "500")
                .build()).run();
        assertThat(results).hasSize(7);
        for (RunResult r : results) {
            String counter = "none".equals(r.getParams().getParam("strategy")) ? "writerRowsPerSecond" : "eventsPerSecond";
            assertThat(r.getSecondaryResults().get(counter).getScore()).as(label(r)).isPositive();
        }
    }

    @Test
    void latencyOfEveryStrategy() throws Exception {
        Collection<RunResult> results = new Runner(tiny(LatencyBenchmark.class.getName() + "\\.")
                .param("rate", "200")
                .param("seconds", "1")
                .build()).run();
        assertThat(results).hasSize(6);
        results.forEach(r -> assertThat(r.getSecondaryResults().get("maxMs").getScore()).as(label(r)).isPositive());
    }

    @Test
    void heapWhileStreamingWithEveryStrategy() throws Exception {
        Collection<RunResult> results = new Runner(tiny(MemoryBenchmark.class.getName() + "\\.")
                .param("rows", "3000")
                .param("rowsPerTransaction", "1000")
                .build()).run();
        assertThat(results).hasSize(6);
        results.forEach(r -> assertThat(r.getSecondaryResults().get("peakHeapUsedMb").getScore()).as(label(r)).isPositive());
    }

    /**
     * Every snapshot variant, idle and under the concurrent writer, on a tiny table: each must
     * deliver every row (the benchmark fails otherwise) and report its rate, heap and the writer's
     * rate.
     */
    @Test
    void snapshotOfEveryVariantIdleAndUnderAWriter() throws Exception {
        String all = String.join(",", Arrays.stream(SnapshotVariant.values()).map(SnapshotVariant::paramName).toList());
        Collection<RunResult> results = new Runner(tiny(SnapshotBenchmark.class.getName() + "\\.")
                .param("idle", all)
                .param("writer", all)
                .param("rows", "2000")
                .param("warmupRows", "0")
                .build()).run();
        assertThat(results).hasSize(1);
        Map<String, Result> counters = results.iterator().next().getSecondaryResults();
        for (SnapshotVariant v : SnapshotVariant.values()) {
            for (String load : List.of("Idle", "Writer")) {
                for (String figure : List.of("RowsPerSecond", "PeakHeapMb")) {
                    String name = v.counterPrefix() + load + figure;
                    assertThat(counters.get(name)).as(name).isNotNull();
                    assertThat(counters.get(name).getScore()).as(name).isPositive();
                }
            }
            String writes = v.counterPrefix() + "WriterWritesPerSecond";
            assertThat(counters.get(writes).getScore()).as(writes).isPositive();
        }
        assertThat(counters.get("writerWritesPerSecond").getScore()).isPositive();
    }

    /**
     * Every cdckit mode's Kafka Connect source connector and Debezium's, one small run each on one
     * in-JVM Connect cluster: each must stream its rows into its topic (the benchmark fails
     * otherwise) and report its rate.
     */
    @Test
    void connectorsOfEveryModeAndDebeziumsOnOneConnectCluster() throws Exception {
        Collection<RunResult> results = new Runner(tiny(ConnectBenchmark.class.getName() + "\\.")
                .param("rows", "500")
                .param("rowsPerTransaction", "100")
                .param("warmupRows", "0")
                .timeout(TimeValue.minutes(5))
                .build()).run();
        assertThat(results).hasSize(1);
        Map<String, Result> counters = results.iterator().next().getSecondaryResults();
        for (ConnectPeer p : ConnectPeer.values()) {
            for (String figure : List.of("EventsPerSecond", "FirstRecordMs", "WriterRowsPerSecond", "BytesPerRecord")) {
                String name = p.paramName() + figure;
                assertThat(counters.get(name)).as(name).isNotNull();
                assertThat(counters.get(name).getScore()).as(name).isPositive();
            }
            assertThat(counters.get(p.paramName() + "ExtraRecords").getScore()).as(p.paramName()).isZero();
        }
    }

    private static String label(RunResult r) {
        return r.getParams().getBenchmark() + " " + List.of(r.getParams().getParam("strategy"));
    }
}
