package io.cdckit.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's configuration reference matches the declared keys: docs follow the code. */
class ConfigReferenceTest {

    @Test
    void readmeListsEveryCommonKeyWithItsDefault() throws IOException {
        Path readme = Path.of("..", "README.md");
        List<String> lines = Files.readAllLines(readme);
        for (ConfigKey<?> key : CdcConfig.COMMON_KEYS) {
            String row = lines.stream().filter(l -> l.startsWith("| `" + key.name() + "` |")).findFirst()
                    .orElseThrow(() -> new AssertionError("README.md has no row for " + key.name()));
            String defaultCell = row.split("\\|")[2].strip();
            Object def = key.defaultValue();
            String expected = def == null ? (key.required() ? "(required)" : "—")
                    : "`" + (def instanceof Duration d ? ConfigKey.format(d) : def.toString()) + "`";
            assertThat(defaultCell).as("default of " + key.name() + " in README.md").isEqualTo(expected);
        }
    }
}
