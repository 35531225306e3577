package io.cdckit.benchmarks;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/** Counts events and remembers when a wanted count was reached. */
final class CountingSink implements EventSink {

    private final AtomicLong count = new AtomicLong();
    private volatile long lastEventNanos = System.nanoTime();
    private volatile long target = Long.MAX_VALUE;
    private volatile long reachedNanos;

    @Override
    public void accept(long id, long commitTsMs) {
        long n = count.incrementAndGet();
        if (n == target) {
            reachedNanos = System.nanoTime();
        }
        lastEventNanos = System.nanoTime();
    }

    long count() {
        return count.get();
    }

    /** Arms the sink to note the time when the count reaches {@code wanted}. */
    void target(long wanted) {
        reachedNanos = 0;
        target = wanted;
        if (count.get() >= wanted) {
            reachedNanos = System.nanoTime();
        }
    }

    /**
     * Waits until the count reached the target; returns the {@link System#nanoTime()} when it did.
     *
     * @throws IllegalStateException when it is not reached within {@code timeout}
     */
    long awaitTarget(Duration timeout, Capture capture) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (reachedNanos == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Only " + count.get() + " of " + target + " events arrived within "
                        + timeout.toSeconds() + " s (" + capture + ")");
            }
            capture.checkHealthy();
            LockSupport.parkNanos(200_000);
        }
        return reachedNanos;
    }

    /** Waits until no event arrived for {@code quiet}, at most {@code max}: the capture has drained. */
    void awaitQuiet(Duration quiet, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() - lastEventNanos < quiet.toNanos() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
    }
}
