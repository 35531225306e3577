package io.cdckit.api;

import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The delivery loop's counters, written by its thread and read by any: what
 * {@link ChangeSource#metrics()}, the health verdict, JMX and the Micrometer binder show.
 */
final class SourceCounters {

    final AtomicLong events = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong handlerFailures = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong deadLettered = new AtomicLong();
    final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong handlerNanos = new AtomicLong();
    private final Map<TableId, Map<Op, LongAdder>> byTable = new ConcurrentHashMap<>();
    private volatile long lastEventMillis = -1;
    private volatile long lagMs = -1;
    /** System.nanoTime() when the handler got the batch it holds, or 0 when it holds none. */
    private volatile long handlerSince;

    SourceCounters(List<TableId> tables) {
        for (TableId t : tables) {
            table(t);
        }
    }

    private Map<Op, LongAdder> table(TableId t) {
        return byTable.computeIfAbsent(t, k -> {
            Map<Op, LongAdder> m = new EnumMap<>(Op.class);
            for (Op op : Op.values()) {
                m.put(op, new LongAdder());
            }
            return m;
        });
    }

    /** The handler got a batch. */
    void handing() {
        handlerSince = System.nanoTime();
    }

    /** The handler returned or threw after {@link #handing()}. */
    void handed() {
        long since = handlerSince;
        handlerSince = 0;
        if (since != 0) {
            handlerNanos.addAndGet(System.nanoTime() - since);
        }
    }

    /** The handler processed {@code batch}. */
    void delivered(List<ChangeEvent> batch) {
        long now = System.currentTimeMillis();
        events.addAndGet(batch.size());
        batches.incrementAndGet();
        for (ChangeEvent e : batch) {
            table(e.table()).get(e.op()).increment();
        }
        lastEventMillis = now;
        Long commitTs = batch.get(batch.size() - 1).source().tsMs();
        lagMs = commitTs == null ? -1 : Math.max(0, now - commitTs);
    }

    long handlerBusyMs() {
        long since = handlerSince;
        return since == 0 ? -1 : (System.nanoTime() - since) / 1_000_000;
    }

    long lagMs() {
        return lagMs;
    }

    SourceMetrics snapshot(boolean connected, Backlog backlog) {
        long last = lastEventMillis;
        Map<TableId, Map<Op, Long>> tables = new LinkedHashMap<>();
        byTable.forEach((t, ops) -> {
            Map<Op, Long> counts = new EnumMap<>(Op.class);
            ops.forEach((op, n) -> counts.put(op, n.sum()));
            tables.put(t, counts);
        });
        return new SourceMetrics(events.get(), batches.get(), last < 0 ? null : Instant.ofEpochMilli(last),
                last < 0 ? -1 : Math.max(0, System.currentTimeMillis() - last), handlerFailures.get(),
                retries.get(), deadLettered.get(), reconnects.get(), lagMs, tables, handlerNanos.get(),
                handlerBusyMs(), connected, backlog);
    }
}
