package io.cdckit.benchmarks;

import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts what a snapshot of the rows {@code 1..rows} delivered and notes when the last of them
 * arrived. A row is done when it arrived as a snapshot read (op {@code r}) or, when a concurrent
 * writer changed it, as an update or a delete delivered by the same capture: Debezium's
 * incremental snapshot drops the read of a row changed while its chunk is open (the streamed
 * change supersedes it), and timestamp polling delivers a row updated during its snapshot as the
 * update. Either way the handler then holds the row. The snapshot is complete when every row is
 * done. Events are accepted on one thread at a time (the capture's delivery thread).
 */
final class SnapshotSink {

    private final int rows;
    private final BitSet done;
    private int doneCount;
    private long reads;
    private long changes;
    private volatile long completedNanos;

    SnapshotSink(int rows) {
        this.rows = rows;
        this.done = new BitSet(rows + 1);
    }

    /**
     * One event of row {@code id}.
     *
     * @param op Debezium's op code: {@code r}, {@code c}, {@code u} or {@code d}
     */
    void accept(long id, char op) {
        if (op == 'r') {
            reads++;
        } else {
            changes++;
            if (op == 'c') {
                return;
            }
        }
        if (id < 1 || id > rows || done.get((int) id)) {
            return;
        }
        done.set((int) id);
        if (++doneCount == rows) {
            completedNanos = System.nanoTime();
        }
    }

    /** Snapshot reads delivered (op {@code r}), of any row; read after {@link #awaitComplete}. */
    long reads() {
        return reads;
    }

    /** Changes delivered (ops {@code c}, {@code u}, {@code d}); read after {@link #awaitComplete}. */
    long changes() {
        return changes;
    }

    /**
     * Waits until every row is done; returns the {@link System#nanoTime()} when the last one
     * arrived.
     *
     * @param healthy throws when the capture has failed
     * @throws IllegalStateException when the snapshot does not complete within {@code timeout}
     */
    long awaitComplete(Duration timeout, Runnable healthy, Object capture) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (completedNanos == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The snapshot did not complete within " + timeout.toSeconds()
                        + " s: " + doneCount + " of " + rows + " rows arrived (" + capture + ")");
            }
            healthy.run();
            LockSupport.parkNanos(1_000_000);
        }
        return completedNanos;
    }
}
