package io.cdckit.examples.demo;

import io.cdckit.api.ChangeEventJson;
import io.cdckit.api.ChangeSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's first command, end to end, on a throwaway PostgreSQL. */
class DemoTest {

    @Test
    void capturesTheWorkloadWithEveryStrategyAndSummarises(@TempDir Path out) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = new CommandLine(new Demo(console)).execute("--customers", "4", "--orders", "10",
                "--out", out.toString());
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        assertThat(text).contains("[demo] running the live workload", "committed the long transaction", "Summary");
        for (String mode : ChangeSources.availableModes()) {
            assertThat(text).contains(mode);
            List<String> lines = Files.readAllLines(out.resolve(mode + ".jsonl"));
            assertThat(lines).as("JSON lines of " + mode).isNotEmpty();
            // every line is an event the codec reads back
            lines.forEach(ChangeEventJson::read);
            // the row of the order committed last, by the long transaction, was captured
            assertThat(lines).anyMatch(l -> l.contains("\"table\":\"orders\"") && l.contains("\"id\":11"));
        }
        assertThat(text).containsPattern("orders 1 +c");
    }

    @Test
    void unknownModeIsRefusedWithTheModesAvailable() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = new CommandLine(new Demo(console)).execute("--mode", "wal2json");
        assertThat(code).isEqualTo(2);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("Unknown --mode wal2json")
                .contains(String.join(", ", ChangeSources.availableModes()));
    }
}
