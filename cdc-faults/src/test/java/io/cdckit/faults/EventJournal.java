package io.cdckit.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeEventJson;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only file of received events, one JSON line each with its epoch and batch. The
 * handler writes a batch and flushes it to the operating system before it returns, so a SIGKILL
 * of the JVM loses nothing the delivery loop considered handled; a line cut short by the kill is
 * ignored when reading.
 */
final class EventJournal implements AutoCloseable {

    private static final ObjectMapper MAPPER = ChangeEventJson.mapper();
    private final BufferedWriter out;

    EventJournal(Path file) throws IOException {
        this.out = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), StandardCharsets.UTF_8), 1 << 16);
    }

    synchronized void append(int epoch, long batch, List<ChangeEvent> events) throws IOException {
        for (ChangeEvent e : events) {
            out.write("{\"epoch\":" + epoch + ",\"batch\":" + batch + ",\"event\":" + ChangeEventJson.write(e) + "}\n");
        }
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }

    /** Every complete line of the files, in file order. */
    static List<Received> read(List<Path> files) throws IOException {
        List<Received> out = new ArrayList<>();
        for (Path f : files) {
            if (!Files.exists(f)) {
                continue;
            }
            String text = Files.readString(f, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            if (end < 0) {
                continue;
            }
            for (String line : text.substring(0, end).split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode node = MAPPER.readTree(line);
                out.add(new Received(node.get("epoch").asInt(), node.get("batch").asLong(),
                        ChangeEventJson.fromJsonNode(node.get("event"))));
            }
        }
        return out;
    }
}
