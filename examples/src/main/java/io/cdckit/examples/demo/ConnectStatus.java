package io.cdckit.examples.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A connector's status from Kafka Connect's REST API ({@code GET /connectors/<name>/status} on a
 * worker), for what the demo tells when something failed: the state and the first lines of the
 * trace of the connector and of each task that is not running.
 */
final class ConnectStatus {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ConnectStatus() {
    }

    /**
     * What failed in {@code connector}, asked of the first of {@code workers} (REST {@code host:port})
     * that answers: one line per failed part with the start of its trace; empty when nothing failed.
     */
    static List<String> failures(Collection<String> workers, String connector) {
        for (String worker : workers) {
            try {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://" + worker + "/connectors/" + connector + "/status"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    continue;
                }
                JsonNode status = JSON.readTree(response.body());
                List<String> failed = new ArrayList<>();
                add(failed, connector, status.path("connector"));
                for (JsonNode task : status.path("tasks")) {
                    add(failed, connector + " task " + task.path("id").asText(), task);
                }
                return failed;
            } catch (Exception e) {
                // try the next worker
            }
        }
        return List.of();
    }

    private static void add(List<String> failed, String what, JsonNode state) {
        if ("FAILED".equals(state.path("state").asText())) {
            String trace = state.path("trace").asText("");
            failed.add(what + " FAILED on " + state.path("worker_id").asText() + ": "
                    + String.join("\n      ", trace.lines().filter(l -> !l.strip().startsWith("at ")
                    && !l.strip().startsWith("...")).limit(15).toList()));
        }
    }
}
