package io.cdckit.api;

import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * Test-only strategy (mode {@code queue}) that serves events the test puts into a named
 * in-process queue, so the delivery loop's batching, retries and commits can be checked in
 * isolation. Positions are {@code {"seq": n}}; opening after a position skips events up to it.
 */
public final class QueueChangeSourceProvider implements ChangeSourceProvider {

    static final ConfigKey<String> QUEUE = ConfigKey.string("cdc.queue.name", "default", "Name of the test queue.");
    static final ConfigKey<Boolean> FAIL_OPEN = ConfigKey.bool("cdc.queue.fail-open", false,
            "Make open() fail, to test start errors.");

    /** Per queue: how many coming poll() calls fail, as a dropped connection would. */
    static final Map<String, java.util.concurrent.atomic.AtomicInteger> FAILING_POLLS = new ConcurrentHashMap<>();
    /** Per queue: how many coming open() calls fail with a connection error (not a setup error). */
    static final Map<String, java.util.concurrent.atomic.AtomicInteger> FAILING_OPENS = new ConcurrentHashMap<>();
    /**
     * Per queue: how many coming open() calls fail with a connection error wrapped in a CdcException,
     * as a strategy reports a server that is starting up.
     */
    static final Map<String, java.util.concurrent.atomic.AtomicInteger> WRAPPED_FAILING_OPENS = new ConcurrentHashMap<>();
    /** Per queue: whether open() reports a setup problem (a CdcException). */
    static final Map<String, Boolean> BROKEN_SETUP = new ConcurrentHashMap<>();
    /** Per queue: readers opened and closed. */
    static final Map<String, java.util.concurrent.atomic.AtomicInteger> OPENED = new ConcurrentHashMap<>();
    static final Map<String, java.util.concurrent.atomic.AtomicInteger> CLOSED = new ConcurrentHashMap<>();

    /** All events ever offered per queue: the queue's "log". */
    static final Map<String, List<ChangeEvent>> LOGS = new ConcurrentHashMap<>();
    /** Positions acknowledged through committed(), per queue. */
    static final Map<String, List<Position>> ACKS = new ConcurrentHashMap<>();

    static void reset(String queue) {
        FAILING_POLLS.put(queue, new java.util.concurrent.atomic.AtomicInteger());
        FAILING_OPENS.put(queue, new java.util.concurrent.atomic.AtomicInteger());
        WRAPPED_FAILING_OPENS.put(queue, new java.util.concurrent.atomic.AtomicInteger());
        BROKEN_SETUP.put(queue, false);
        OPENED.put(queue, new java.util.concurrent.atomic.AtomicInteger());
        CLOSED.put(queue, new java.util.concurrent.atomic.AtomicInteger());
        LOGS.put(queue, java.util.Collections.synchronizedList(new ArrayList<>()));
        ACKS.put(queue, java.util.Collections.synchronizedList(new ArrayList<>()));
    }

    static void offer(String queue, ChangeEvent e) {
        LOGS.get(queue).add(e);
    }

    @Override
    public String mode() {
        return "queue";
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of(QUEUE, FAIL_OPEN);
    }

    @Override
    public ChangeReader createReader(CdcConfig config, io.cdckit.api.jdbc.SourceConnections connections) {
        return new Reader(config.get(QUEUE), config.get(FAIL_OPEN));
    }

    private static final class Reader implements ChangeReader {
        private final String queue;
        private final boolean failOpen;
        private int next;
        private final LinkedBlockingDeque<Object> wake = new LinkedBlockingDeque<>();

        Reader(String queue, boolean failOpen) {
            this.queue = queue;
            this.failOpen = failOpen;
        }

        @Override
        public void open(Position after) throws java.sql.SQLException {
            if (failOpen || BROKEN_SETUP.get(queue)) {
                throw new CdcException("queue '" + queue + "' refuses to open: set cdc.queue.fail-open=false");
            }
            if (FAILING_OPENS.get(queue).getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new java.sql.SQLException("Connection refused", "08001");
            }
            if (WRAPPED_FAILING_OPENS.get(queue).getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new CdcException("Cannot connect to queue '" + queue + "'",
                        new java.sql.SQLException("FATAL: the database system is starting up", "57P03"));
            }
            OPENED.get(queue).incrementAndGet();
            next = after == null ? 0 : (int) after.getLong("seq");
        }

        @Override
        public List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
            if (FAILING_POLLS.get(queue).getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new java.sql.SQLException("terminating connection due to administrator command", "57P01");
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            List<ChangeEvent> log = LOGS.get(queue);
            while (true) {
                List<ChangeEvent> out = new ArrayList<>();
                synchronized (log) {
                    while (next + out.size() < log.size() && out.size() < maxEvents) {
                        out.add(log.get(next + out.size()));
                    }
                }
                if (!out.isEmpty()) {
                    next += out.size();
                    return out;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                wake.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)), TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void committed(Position position) {
            ACKS.get(queue).add(position);
        }

        @Override
        public void close() {
            CLOSED.get(queue).incrementAndGet();
        }
    }

    /** An insert event with key {@code id} at sequence {@code seq} (1-based). */
    static ChangeEvent insert(int seq, int id) {
        SourceInfo source = new SourceInfo("test", "queue", "test", System.currentTimeMillis(), "false", "db",
                "public", "t", (long) seq, null, null, null);
        return new ChangeEvent(Op.CREATE, null, Map.of("id", id, "v", "row" + id), Map.of("id", id), source,
                System.currentTimeMillis(), null, Position.of("seq", seq));
    }
}
