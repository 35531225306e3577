package io.cdckit.examples.demo;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeEventJson;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.SourceStatus;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One strategy's part of the demo: records what it delivered, with the time each event arrived. */
final class StrategyRun implements ChangeHandler, AutoCloseable {

    /** An event and when the handler got it (epoch ms). */
    record Received(ChangeEvent event, long receivedMs) {
    }

    private final String mode;
    private final BufferedWriter json;
    private final PrintStream echo;
    private final List<Received> received = new ArrayList<>();
    private volatile long lastEventMs = System.currentTimeMillis();
    private ChangeSource source;

    StrategyRun(String mode, Path jsonLines, PrintStream echo) throws IOException {
        this.mode = mode;
        this.json = Files.newBufferedWriter(jsonLines, StandardCharsets.UTF_8);
        this.echo = echo;
    }

    void attach(ChangeSource source) {
        this.source = source;
    }

    @Override
    public synchronized void handle(List<ChangeEvent> events) throws IOException {
        long now = System.currentTimeMillis();
        for (ChangeEvent e : events) {
            received.add(new Received(e, now));
            String line = ChangeEventJson.write(e);
            json.write(line);
            json.newLine();
            if (echo != null) {
                echo.println(mode + " " + line);
            }
        }
        json.flush();
        lastEventMs = now;
    }

    String mode() {
        return mode;
    }

    synchronized List<Received> received() {
        return List.copyOf(received);
    }

    synchronized int count() {
        return received.size();
    }

    long msSinceLastEvent() {
        return System.currentTimeMillis() - lastEventMs;
    }

    Throwable failure() {
        SourceStatus s = source == null ? null : source.status();
        return s != null && s.state() == SourceStatus.State.FAILED ? s.failure() : null;
    }

    @Override
    public void close() throws IOException {
        if (source != null) {
            source.close();
        }
        json.close();
    }
}
