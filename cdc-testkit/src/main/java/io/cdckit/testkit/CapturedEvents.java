package io.cdckit.testkit;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.SourceStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A handler that records every event it processed, in order, and lets a test wait for them.
 * Thread-safe.
 */
public final class CapturedEvents implements ChangeHandler {

    private final List<ChangeEvent> events = new ArrayList<>();
    private volatile ChangeSource source;

    /** Records the batch. */
    @Override
    public synchronized void handle(List<ChangeEvent> batch) {
        events.addAll(batch);
    }

    /** Remembers the source so waits can fail fast when it failed. */
    public CapturedEvents watching(ChangeSource source) {
        this.source = source;
        return this;
    }

    /** A copy of the events so far. */
    public synchronized List<ChangeEvent> events() {
        return List.copyOf(events);
    }

    /** The events matching {@code filter}. */
    public synchronized List<ChangeEvent> events(Predicate<ChangeEvent> filter) {
        return events.stream().filter(filter).toList();
    }

    /** Waits until at least {@code count} events matching {@code filter} arrived; returns them. */
    public List<ChangeEvent> awaitAtLeast(int count, Predicate<ChangeEvent> filter, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> {
            failIfSourceFailed();
            return events(filter).size() >= count;
        });
        return events(filter);
    }

    /** Waits until at least {@code count} events arrived; returns all events. */
    public List<ChangeEvent> awaitAtLeast(int count, Duration timeout) {
        return awaitAtLeast(count, e -> true, timeout);
    }

    private void failIfSourceFailed() {
        ChangeSource s = source;
        if (s != null && s.status().state() == SourceStatus.State.FAILED) {
            throw new AssertionError("source failed: " + s.status().failure(), s.status().failure());
        }
    }
}
