package io.cdckit.examples;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.spi.ChangeSourceProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

/** README.md's configuration reference lists every key of every strategy with its real default. */
class ReadmeConfigReferenceTest {

    @Test
    void everyDeclaredKeyHasARowWithItsDefault() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        List<ConfigKey<?>> keys = new ArrayList<>(CdcConfig.COMMON_KEYS);
        List<String> modes = new ArrayList<>();
        for (ChangeSourceProvider p : ServiceLoader.load(ChangeSourceProvider.class)) {
            keys.addAll(p.configKeys());
            modes.add(p.mode());
        }
        assertThat(modes).contains("log", "trigger", "timestamp");
        List<String> problems = new ArrayList<>();
        for (ConfigKey<?> key : keys) {
            String row = lines.stream().filter(l -> l.startsWith("| `" + key.name() + "` |")).findFirst().orElse(null);
            if (row == null) {
                problems.add("no row for " + key.name());
                continue;
            }
            String cell = row.split("\\|")[2].strip();
            String expected = key.defaultValue() == null ? key.defaultText() : "`" + key.defaultText() + "`";
            if (!cell.startsWith(expected)) {
                problems.add(key.name() + ": README says " + cell + ", the code's default is " + expected);
            }
        }
        assertThat(problems).isEmpty();
    }
}
