package io.cdckit.benchmarks;

import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;

/**
 * Notes, for rows {@code base .. base + n - 1}, when the handler received each one: on this JVM's
 * {@link System#nanoTime()} clock, and, where the event carries its commit time, as the wall-clock
 * delay from that commit time.
 */
final class LatencySink implements EventSink {

    private static final Clock CLOCK = Clock.systemUTC();

    private volatile long base = Long.MAX_VALUE;
    private volatile long[] receivedNanos = new long[0];
    private volatile long[] fromCommitMicros = new long[0];
    private volatile int received;

    /** Starts listening for {@code n} rows from id {@code base} on. */
    void expect(long base, int n) {
        receivedNanos = new long[n];
        fromCommitMicros = new long[n];
        Arrays.fill(fromCommitMicros, -1);
        received = 0;
        this.base = base;
    }

    @Override
    public void accept(long id, long commitTsMs) {
        long now = System.nanoTime();
        long[] rn = receivedNanos;
        long i = id - base;
        if (i < 0 || i >= rn.length || rn[(int) i] != 0) {
            return;
        }
        rn[(int) i] = now;
        if (commitTsMs >= 0) {
            Instant t = CLOCK.instant();
            fromCommitMicros[(int) i] = t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000 - commitTsMs * 1_000;
        }
        received++; // one delivery thread writes
    }

    int received() {
        return received;
    }

    long[] receivedNanos() {
        return receivedNanos;
    }

    long[] fromCommitMicros() {
        return fromCommitMicros;
    }
}
