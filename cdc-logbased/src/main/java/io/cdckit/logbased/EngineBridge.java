package io.cdckit.logbased;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import org.apache.kafka.connect.source.SourceRecord;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bridges the engine's push model to the reader's {@code poll()}. The engine's thread converts a
 * batch, hands its events over and returns at once when every earlier batch was committed, so that
 * Debezium decodes the next batch while the delivery loop hands this one to the handler and saves
 * its position: a pipeline of two batches. A batch's records are marked processed (which lets
 * Debezium flush their offsets and confirm their LSN to the slot) only once the delivery loop has
 * committed them; that happens in a later call of {@link #handleBatch} on the engine's thread
 * (Debezium's committer is not thread-safe), at the latest with the next heartbeat while the
 * tables are idle. So memory is bounded by two batches, a slow handler holds the engine back, and
 * the slot never confirms WAL whose changes were not handled and saved. When the source closes,
 * a waiting batch returns without marking the rest: the engine then stops cleanly, and the
 * unhandled records are read again on restart.
 *
 * <p>With {@code cdc.batch.transactions=whole}, {@link #poll} returns whole transactions only, at
 * most {@code max} changes unless the first transaction alone is larger: it ends a poll only where
 * a transaction ended (Debezium's transaction-end record, or a change
 * outside any transaction), and never returns the changes of a transaction whose end has not
 * arrived. The engine's thread then does not wait for a batch that holds part of an open
 * transaction to be committed (it could not be), so a transaction is held in memory whole, and
 * only the batches before its end wait for the pipeline.
 *
 * <p>Besides changes, the snapshot's watermark messages are handed over in their place in the
 * stream, so the reader sees each exactly between the changes committed before and after it; a
 * poll stops right after one. They are not events: like a heartbeat's, a watermark's record is
 * marked processed once the events before it were committed.
 */
final class EngineBridge implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private final RecordConverter converter;
    private final String watermarkPrefix;
    private final boolean wholeTransactions;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final Condition progressed = lock.newCondition();
    private final ArrayDeque<Item> pending = new ArrayDeque<>();

    /** Sequence number of the last event handed over, and of the last one committed. */
    private long lastHanded;
    private long lastCommitted;
    /** Whole transactions: sequence number of the last change whose transaction is known to be complete. */
    private long completeUpTo;
    /** Sequence number of the last event returned by poll. */
    private long polledUpTo;
    private Throwable failure;
    private boolean closed;
    /** Batches handed over whose records are not all marked processed yet; the engine's thread only. */
    private final ArrayDeque<Unmarked> unmarked = new ArrayDeque<>();

    /** A handed-over batch: its records, the sequence each waits for, and how many are marked. */
    private static final class Unmarked {
        final List<RecordChangeEvent<SourceRecord>> records;
        final long[] needs;
        int next;

        Unmarked(List<RecordChangeEvent<SourceRecord>> records, long[] needs) {
            this.records = records;
            this.needs = needs;
        }
    }

    /**
     * A change or a watermark, in stream order. A change is handed over as Debezium's record and
     * converted by {@link #poll}, on the reader's thread, so that the engine's thread goes on
     * decoding while the values of the last batch are converted.
     *
     * With whole transactions, an item with neither a record nor a watermark marks the end of a
     * transaction (or of a change outside any), after the change {@code seq}.
     *
     * @param seq       for a change its sequence number; else that of the last change before it
     * @param record    a change as Debezium's record, before {@link #poll} converts it; else null
     * @param change    the converted change, or null
     * @param watermark the watermark, or null for a change or a transaction end
     */
    record Item(long seq, SourceRecord record, RecordConverter.Change change, RecordConverter.Watermark watermark) {
    }

    EngineBridge(RecordConverter converter, String watermarkPrefix, boolean wholeTransactions) {
        this.converter = converter;
        this.watermarkPrefix = watermarkPrefix;
        this.wholeTransactions = wholeTransactions;
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        // the sequence number each record waits for: that of the last event at or before it
        long[] needs = new long[records.size()];
        List<Item> handed = new ArrayList<>(records.size());
        long seq;
        long complete;
        lock.lock();
        try {
            seq = lastHanded;
            complete = completeUpTo;
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < records.size(); i++) {
            SourceRecord record = records.get(i).record();
            if (RecordConverter.isChange(record)) {
                handed.add(new Item(++seq, record, null, null));
                if (wholeTransactions && !RecordConverter.inTransaction(record)) {
                    handed.add(new Item(seq, null, null, null));
                    complete = seq;
                }
            } else if (wholeTransactions && RecordConverter.isTransactionEnd(record)) {
                handed.add(new Item(seq, null, null, null));
                complete = seq;
            } else {
                RecordConverter.Watermark watermark = RecordConverter.watermark(record, watermarkPrefix);
                if (watermark != null) {
                    handed.add(new Item(seq, null, null, watermark));
                }
            }
            needs[i] = seq;
        }
        lock.lockInterruptibly();
        try {
            if (closed) {
                return; // nothing handed over, nothing marked processed: the engine is being stopped
            }
            pending.addAll(handed);
            lastHanded = seq;
            completeUpTo = complete;
            if (!handed.isEmpty()) {
                arrived.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (!records.isEmpty()) {
            unmarked.add(new Unmarked(records, needs));
        }
        // pipeline of two: wait until every earlier batch is committed, not this one
        while (unmarked.size() > 1) {
            Unmarked oldest = unmarked.peekFirst();
            long needed = oldest.needs[oldest.needs.length - 1];
            if (wholeTransactions && needed > complete) {
                break; // part of a transaction whose end has not arrived: poll cannot return it yet
            }
            long committed = awaitCommitBeyond(needed);
            if (committed < 0) {
                // closing: the rest was not handled, so it stays unconfirmed and is read again on restart
                return;
            }
            markCommitted(committed, committer);
        }
        markCommitted(committedNow(), committer);
    }

    /** Marks processed, in order, every record of the unmarked batches whose events are committed. */
    private void markCommitted(long committed, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        boolean any = false;
        while (!unmarked.isEmpty()) {
            Unmarked b = unmarked.peekFirst();
            while (b.next < b.records.size() && b.needs[b.next] <= committed) {
                committer.markProcessed(b.records.get(b.next++));
                any = true;
            }
            if (b.next < b.records.size()) {
                break;
            }
            unmarked.pollFirst();
        }
        if (any) {
            committer.markBatchFinished();
        }
    }

    private long committedNow() {
        lock.lock();
        try {
            return lastCommitted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the committed sequence reaches {@code wanted}; returns it, or -1 once the
     * source closes (returning then, rather than failing, lets the engine stop cleanly).
     */
    private long awaitCommitBeyond(long wanted) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (lastCommitted < wanted) {
                if (closed) {
                    return -1;
                }
                progressed.await();
            }
            return lastCommitted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Up to {@code max} changes in stream order, with the watermarks between them, waiting up to
     * {@code timeout} for the first item; stops after a watermark, so that what follows it can wait
     * for what the reader delivers there.
     */
    List<Item> poll(int max, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Item> out;
        lock.lockInterruptibly();
        try {
            while (pending.isEmpty() || (wholeTransactions && !startsComplete())) {
                rethrow();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                arrived.awaitNanos(left);
            }
            out = new ArrayList<>(Math.min(max, pending.size()));
            int changes = 0;
            // whole transactions: true while the changes taken end where a transaction ended
            boolean atEnd = true;
            while (!pending.isEmpty()) {
                Item item = pending.peek();
                if (item.record() != null) {
                    if ((changes >= max && atEnd) || (wholeTransactions && item.seq() > completeUpTo)) {
                        break;
                    }
                    if (wholeTransactions && atEnd && changes > 0 && changes + nextTransactionSize() > max) {
                        break; // the next transaction would not fit: it starts the next poll
                    }
                    pending.poll();
                    out.add(item);
                    changes++;
                    polledUpTo = item.seq();
                    atEnd = !wholeTransactions;
                } else if (item.watermark() != null) {
                    pending.poll();
                    out.add(item);
                    break;
                } else {
                    pending.poll();
                    atEnd = true;
                }
            }
        } finally {
            lock.unlock();
        }
        // converted outside the lock: the engine's thread hands over its next batch meanwhile
        List<Item> converted = new ArrayList<>(out.size());
        for (Item item : out) {
            if (item.record() == null) {
                converted.add(item);
                continue;
            }
            RecordConverter.Change change = converter.change(item.record());
            if (change != null) {
                converted.add(new Item(item.seq(), null, change, null));
            }
        }
        return converted;
    }

    /** Whole transactions: the changes of the transaction that starts the pending items (the lock is held). */
    private int nextTransactionSize() {
        int n = 0;
        for (Item item : pending) {
            if (item.record() == null) {
                break; // its end, or a watermark
            }
            n++;
        }
        return n;
    }

    /** Whole transactions: true when the next pending item can be returned (the lock is held). */
    private boolean startsComplete() {
        Item first = pending.peek();
        return first.record() == null || first.seq() <= completeUpTo;
    }

    /** Everything returned by {@link #poll} so far was handled and saved. */
    void committedAllPolled() {
        lock.lock();
        try {
            lastCommitted = polledUpTo;
            progressed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The engine stopped with {@code error}: the next poll throws it. */
    void failed(Throwable error) {
        lock.lock();
        try {
            if (failure == null) {
                failure = error;
            }
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Releases a waiting engine thread; no more batches are accepted. */
    void close() {
        lock.lock();
        try {
            closed = true;
            progressed.signalAll();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void rethrow() throws Exception {
        if (failure != null) {
            if (failure instanceof Exception e) {
                throw e;
            }
            throw new IllegalStateException(failure);
        }
    }

    @Override
    public boolean supportsTombstoneEvents() {
        return false;
    }
}
