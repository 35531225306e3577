package io.cdckit.api.spi;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Position;

import java.time.Duration;
import java.util.List;

/**
 * The part of a strategy that the delivery loop drives: "give me the changes after position P".
 *
 * <p>Batching, handler calls, retries, offset commits, status and metrics are the delivery
 * loop's job, written once for every strategy. A reader is used by one thread at a time:
 * {@link #open}, then {@link #poll} and {@link #committed} repeatedly, then {@link #close}.
 */
public interface ChangeReader extends AutoCloseable {

    /**
     * Checks the setup, acquires connections and positions the reader just after {@code after}.
     * With {@code after == null} the source starts fresh and follows {@code cdc.snapshot.mode}.
     *
     * @throws io.cdckit.api.CdcException naming the fix when the setup is wrong
     * @throws Exception                  on other failures
     */
    void open(Position after) throws Exception;

    /**
     * The next changes after those already returned, in commit order, at most {@code maxEvents},
     * waiting up to {@code timeout} for the first one. Returns an empty list when none came in
     * time. Each event's {@link ChangeEvent#position()} is where the source stands after it.
     */
    List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception;

    /**
     * Tells the reader that every event up to and including {@code position} was handled and its
     * position saved, so it may release them (advance a replication slot, delete consumed log
     * rows).
     *
     * <p>The delivery loop guarantees: one call per non-empty {@link #poll} result, with the
     * position of that result's last event, after the handler returned and the position was
     * saved, and before the next {@code poll}. A batch is never split: the handler receives
     * exactly what one {@code poll} returned. After a crash the reader is reopened after the last
     * position that was committed this way.
     */
    default void committed(Position position) throws Exception {
    }

    /**
     * Where a reader opened with {@code after == null} started, as a position {@link #open}
     * accepts; or null when opening afresh later would not skip anything (a replication slot keeps
     * its start, a snapshot is taken again). The delivery loop saves it before the first poll, so
     * that a reconnect or a restart before anything was committed resumes from the start instead
     * of from a later "now", which would skip what was written in between.
     */
    default Position startPosition() {
        return null;
    }

    /**
     * Queues a snapshot of {@code tables} (all of them captured by this source) while the reader
     * goes on streaming; its progress becomes part of the positions, so it resumes after a
     * restart. Called on the reader's thread, between polls.
     *
     * @throws UnsupportedOperationException when the strategy cannot take snapshots on demand
     */
    default void snapshot(List<io.cdckit.api.TableId> tables) throws Exception {
        throw new UnsupportedOperationException("this capture strategy cannot take snapshots on demand");
    }

    /**
     * Where the snapshot the reader is taking stands now, or null when it takes none. May be
     * called from any thread. The default reads it from nothing: the delivery loop then shows the
     * progress of the last committed position.
     */
    default io.cdckit.api.SnapshotProgress snapshotProgress() {
        return io.cdckit.api.SnapshotProgress.UNKNOWN;
    }

    /**
     * What the source has waiting in the database now, with the thresholds of the strategy's
     * own settings that are crossed. Unlike the other methods it may be called from any thread,
     * also while {@link #poll} runs, so it must use borrowed connections and state published
     * for it; called at most every {@code cdc.metrics.backlog-interval}.
     */
    default io.cdckit.api.Backlog backlog() throws Exception {
        return io.cdckit.api.Backlog.UNKNOWN;
    }

    /** Releases connections and threads. Called once, also after a failed {@link #open}. */
    @Override
    void close() throws Exception;
}
