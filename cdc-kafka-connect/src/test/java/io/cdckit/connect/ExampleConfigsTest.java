package io.cdckit.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.CdcConfig;
import io.cdckit.api.ConfigProblem;
import io.cdckit.api.TableId;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example connector configs in {@code docs/connect} pass the connector's own checks (with
 * Connect's config providers, {@code ${file:...}}, standing in for a password), and the task
 * layout each implies is the documented one.
 */
class ExampleConfigsTest {

    private static final Path DOCS = Path.of("..", "docs", "connect");

    @Test
    void everyExampleConfigIsValid() throws IOException {
        List<Path> examples;
        try (Stream<Path> files = Files.list(DOCS)) {
            examples = files.filter(p -> p.getFileName().toString().startsWith("cdckit-")).sorted().toList();
        }
        assertThat(examples).extracting(p -> p.getFileName().toString())
                .containsExactly("cdckit-log.json", "cdckit-timestamp.json", "cdckit-trigger.json");
        for (Path p : examples) {
            Map<String, String> config = config(p);
            List<ConfigProblem> problems = ConnectorSettings.problems(config);
            assertThat(problems).as(p.toString()).isEmpty();
        }
    }

    @Test
    void theTimestampExampleSpreadsItsTablesOverFourTasksAndTheOthersRunOne() throws IOException {
        Map<String, String> timestamp = config(DOCS.resolve("cdckit-timestamp.json"));
        CdcConfig cdc = ConnectorSettings.from(timestamp).cdc();
        List<Map<String, String>> tasks = TaskLayout.taskConfigs(timestamp, cdc, 4);
        assertThat(tasks).extracting(t -> t.get("cdc.tables"))
                .containsExactly("public.customers", "public.invoices", "public.orders", "public.shipments");
        assertThat(TaskLayout.streams(ConnectorSettings.from(tasks.get(0)).cdc())).singleElement()
                .extracting(CdcConfig::name).isEqualTo("shop-timestamp.public.customers");
        assertThat(TaskLayout.taskConfigs(timestamp, cdc, 3)).extracting(t -> t.get("cdc.tables"))
                .containsExactly("public.customers,public.shipments", "public.invoices", "public.orders");

        Map<String, String> trigger = config(DOCS.resolve("cdckit-trigger.json"));
        assertThat(TaskLayout.taskConfigs(trigger, ConnectorSettings.from(trigger).cdc(), 8)).hasSize(1);
    }

    @Test
    void aStreamNameThatIsNoLegalSourceNameIsHashed() {
        assertThat(TaskLayout.streamName("shop", new TableId("Sales Q1", "Öl.Preise")))
                .matches("shop\\.[0-9a-f]{16}");
        assertThat(TaskLayout.streamName("shop", new TableId("sales", "orders"))).isEqualTo("shop.sales.orders");
    }

    private static Map<String, String> config(Path p) throws IOException {
        JsonNode json = new ObjectMapper().readTree(p.toFile());
        Map<String, String> config = new LinkedHashMap<>();
        config.put("name", json.get("name").asText());
        json.get("config").properties().forEach(e -> config.put(e.getKey(),
                e.getValue().asText().startsWith("${file:") ? "a-password" : e.getValue().asText()));
        return config;
    }
}
