package io.cdckit.api;

import io.cdckit.api.SourceStatus.State;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The delivery loop, written once for every strategy: polls the strategy's {@link ChangeReader},
 * hands batches to the handler, retries failures with exponential backoff, then fails or
 * dead-letters, and commits a batch's position only after the handler returned. When reading
 * or committing fails (a dropped connection, a restarted server), it closes the reader and
 * opens a new one after the last committed position, with backoff, so nothing is lost.
 */
final class DeliveringChangeSource implements ChangeSource {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveringChangeSource.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final CdcConfig config;
    private final java.util.function.Function<CdcConfig, ChangeReader> readers;
    private volatile ChangeReader reader;
    /** cdc.tables.include/exclude; when dynamic, resolved at start and every {@link #refreshInterval}. */
    private final io.cdckit.api.jdbc.TablePatterns patterns;
    private final Duration refreshInterval;
    private long nextRefresh;
    /** The config the readers get: {@link #config} with cdc.tables the tables captured now. */
    private volatile CdcConfig captured;
    private final OffsetStore store;
    private final boolean ownsStore;
    private final SourceConnections connections;
    private final DeadLetterHandler deadLetters;
    private final String name;
    private final int maxBatch;
    private final Duration pollInterval;
    private final boolean tolerateAll;
    private final int maxRetries;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final int maxReconnects;
    private final Duration reconnectInitialDelay;
    private final Duration reconnectMaxDelay;

    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile SourceStatus status = SourceStatus.of(State.CREATED);
    private volatile Thread worker;
    /** Guards {@link #polling}, so close() interrupts the worker only while it waits in poll(). */
    private final Object pollLock = new Object();
    private boolean polling;

    private final SnapshotRequests snapshotRequests;
    private final SignalTable signals;
    private final SourceCounters counters;
    private final SourceHealthCheck healthCheck;
    private final SourceMBean mbean;
    private final SourceProbe probe;
    private volatile Position committed;
    private final ColumnSelection selection;

    /**
     * @param first   the reader to open at start, or null when the tables are chosen by pattern (it is made at start)
     * @param readers makes a reader for a config (that of the tables captured now)
     */
    DeliveringChangeSource(CdcConfig config, ChangeReader first,
                           java.util.function.Function<CdcConfig, ChangeReader> readers,
                           OffsetStore store, boolean ownsStore, DeadLetterHandler deadLetters,
                           SourceConnections connections) {
        this.config = config;
        this.captured = config;
        this.patterns = io.cdckit.api.jdbc.TablePatterns.of(config);
        this.refreshInterval = config.get(CdcConfig.TABLES_REFRESH_INTERVAL);
        this.connections = connections;
        this.selection = ColumnSelection.of(config);
        this.counters = new SourceCounters(config.tables());
        this.snapshotRequests = new SnapshotRequests(config.name(), config.tables());
        this.healthCheck = new SourceHealthCheck(config);
        this.mbean = config.get(CdcConfig.JMX_ENABLED) ? new SourceMBean(this) : null;
        this.probe = new SourceProbe(config.name(), connections, config.get(CdcConfig.METRICS_BACKLOG_INTERVAL));
        String signalTable = config.get(CdcConfig.SIGNAL_TABLE);
        this.signals = signalTable == null ? null : new SignalTable(config.name(), TableId.parse(signalTable), connections,
                config.get(CdcConfig.SIGNAL_INTERVAL));
        this.reader = first;
        this.readers = readers;
        this.store = store;
        this.ownsStore = ownsStore;
        this.deadLetters = deadLetters;
        this.name = config.name();
        this.maxBatch = config.get(CdcConfig.BATCH_MAX_SIZE);
        this.pollInterval = config.get(CdcConfig.POLL_INTERVAL);
        this.tolerateAll = "all".equals(config.get(CdcConfig.ERRORS_TOLERANCE));
        this.maxRetries = config.get(CdcConfig.ERRORS_MAX_RETRIES);
        this.initialDelay = config.get(CdcConfig.ERRORS_RETRY_INITIAL_DELAY);
        this.maxDelay = config.get(CdcConfig.ERRORS_RETRY_MAX_DELAY);
        this.maxReconnects = config.get(CdcConfig.RECONNECT_MAX_ATTEMPTS);
        this.reconnectInitialDelay = config.get(CdcConfig.RECONNECT_INITIAL_DELAY);
        this.reconnectMaxDelay = config.get(CdcConfig.RECONNECT_MAX_DELAY);
    }

    @Override
    public void start(ChangeHandler handler) {
        java.util.Objects.requireNonNull(handler, "handler");
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("source '" + name + "' was already started; create a new one");
        }
        if (closed.get()) {
            throw new IllegalStateException("source '" + name + "' is closed");
        }
        status = SourceStatus.of(State.STARTING);
        if (mbean != null) {
            mbean.register();
        }
        Position from;
        try {
            from = store.load(name).orElse(null);
            if (store instanceof MemoryOffsetStore) {
                LOG.warn("Source '{}' keeps its position in memory (cdc.offset.store=memory): a restarted JVM "
                        + "starts over. Set cdc.offset.store=file:PATH or jdbc to resume after a restart.", name);
            }
            if (patterns.dynamic()) {
                captured = withTables(resolveTables());
                snapshotRequests.captured(captured.tables());
                nextRefresh = System.nanoTime() + refreshInterval.toNanos();
                reader = readers.apply(captured);
            }
            LOG.info("Starting source '{}' (cdc.mode={}, tables={}) {}", name, config.mode(), captured.tables(),
                    from == null ? "from the beginning" : "after position " + from.fields());
            ColumnSelection.checkAtStart(captured, connections);
            reader.open(from);
            committed = from;
            Position start = from == null ? reader.startPosition() : null;
            if (start != null) {
                // a reconnect or restart before the first commit must not start afresh at a later "now"
                store.save(name, start);
                committed = start;
            }
        } catch (Exception e) {
            CdcException failure = e instanceof CdcException ce ? ce
                    : new CdcException("Source '" + name + "' could not start: " + e.getMessage(), e);
            status = new SourceStatus(State.FAILED, failure);
            release();
            finished.countDown();
            throw failure;
        }
        status = SourceStatus.of(State.RUNNING);
        Thread t = new Thread(() -> run(handler), "cdckit-" + name);
        worker = t;
        t.start();
    }

    private void run(ChangeHandler handler) {
        try {
            while (!stopRequested()) {
                List<ChangeEvent> batch;
                try {
                    refreshTables();
                    batch = pollReader();
                } catch (Exception e) {
                    if (stopRequested() || !reconnect(e)) {
                        break;
                    }
                    continue;
                }
                if (batch.isEmpty()) {
                    continue;
                }
                if (!deliver(handler, Collections.unmodifiableList(batch))) {
                    break;
                }
                Position last = batch.get(batch.size() - 1).position();
                try {
                    store.save(name, last);
                    committed = last;
                    probe.track(SnapshotProgress.from(last));
                    snapshotRequests.committed();
                    reader.committed(last);
                } catch (Exception e) {
                    if (!reconnect(e)) {
                        break;
                    }
                }
            }
            status = SourceStatus.of(State.STOPPED);
            LOG.info("Source '{}' stopped after {} events", name, counters.events.get());
        } catch (Throwable t) {
            status = new SourceStatus(State.FAILED, t);
            LOG.error("Source '{}' failed and stopped; the last committed position is kept, so a restart "
                    + "resumes after it", name, t);
        } finally {
            release();
            finished.countDown();
        }
    }

    private List<TableId> resolveTables() throws java.sql.SQLException {
        try (java.sql.Connection c = connections.borrow()) {
            return patterns.resolve(c);
        }
    }

    private CdcConfig withTables(List<TableId> tables) {
        return config.toBuilder().tables(tables.toArray(new TableId[0])).build();
    }

    /**
     * With {@code cdc.tables.include}: every {@code cdc.tables.refresh-interval}, between batches
     * (everything polled is committed), resolves the patterns again and, when the set changed,
     * reopens the reader with the new set after the committed position: the strategy then adopts
     * the new tables as it does tables added to {@code cdc.tables} (publication, triggers, polls,
     * snapshot). When the strategy refuses a new table (e.g. capture not installed and no right to
     * install it) the source goes on with the tables it had and tries again at the next refresh.
     */
    private void refreshTables() throws Exception {
        if (!patterns.dynamic() || System.nanoTime() < nextRefresh) {
            return;
        }
        nextRefresh = System.nanoTime() + refreshInterval.toNanos();
        List<TableId> now;
        try {
            now = resolveTables();
        } catch (CdcException nothingMatches) {
            LOG.warn("Source '{}': {} It goes on with {}.", name, nothingMatches.getMessage(), captured.tables());
            return;
        }
        List<TableId> before = captured.tables();
        if (new java.util.HashSet<>(now).equals(new java.util.HashSet<>(before))) {
            return;
        }
        List<TableId> added = now.stream().filter(t -> !before.contains(t)).toList();
        List<TableId> gone = before.stream().filter(t -> !now.contains(t)).toList();
        LOG.info("Source '{}' captures tables matched by cdc.tables.include anew: added {}, gone {}; reopening after "
                + "position {}", name, added, gone, committed == null ? "start" : committed.fields());
        CdcConfig next = withTables(now);
        closeReader();
        ChangeReader r = readers.apply(next);
        try {
            r.open(committed);
        } catch (CdcException e) {
            closeQuietly(r);
            if (isConnectionFailure(e)) {
                throw e;
            }
            LOG.error("Source '{}' could not capture the tables {}: {} It goes on with {} and tries again in {}.",
                    name, added, e.getMessage(), before, refreshInterval);
            reader = readers.apply(captured);
            reader.open(committed);
            snapshotRequests.reopened(reader);
            return;
        } catch (Exception e) {
            closeQuietly(r);
            throw e;
        }
        reader = r;
        captured = next;
        snapshotRequests.captured(now);
        snapshotRequests.reopened(reader);
    }

    private void closeQuietly(ChangeReader r) {
        try {
            r.close();
        } catch (Exception e) {
            LOG.warn("Closing a reader of source '{}' failed", name, e);
        }
    }

    /**
     * Polls the reader; close() may interrupt this wait (and only this one), so a long poll
     * interval does not hold up a shutdown.
     */
    private List<ChangeEvent> pollReader() throws Exception {
        synchronized (pollLock) {
            if (stopRequested()) {
                return List.of();
            }
            polling = true;
        }
        if (signals != null) {
            signals.check(this::requestSnapshot);
        }
        try {
            snapshotRequests.handTo(reader);
            return selection.apply(reader.poll(maxBatch, pollInterval));
        } finally {
            synchronized (pollLock) {
                polling = false;
                Thread.interrupted(); // an interrupt meant for the poll must not reach the handler
            }
        }
    }

    /**
     * After reading or committing failed: closes the reader and opens a new one after the last
     * committed position, with backoff. A batch whose position was not saved comes again.
     *
     * @return false when the source was stopped meanwhile
     * @throws CdcException when the attempts are used up, or when reopening reports a setup
     *                      problem that waiting will not fix
     */
    private boolean reconnect(Exception cause) throws InterruptedException {
        status = SourceStatus.of(State.RECONNECTING);
        LOG.warn("Source '{}' lost its connection or failed to read ({}); reconnecting from position {}", name,
                cause.toString(), committed == null ? "start" : committed.fields());
        closeReader();
        Exception last = cause;
        for (int attempt = 0; attempt < maxReconnects; attempt++) {
            Duration delay = backoff(attempt, reconnectInitialDelay, reconnectMaxDelay);
            if (stopSignal.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                return false;
            }
            reader = readers.apply(captured);
            try {
                reader.open(committed);
                snapshotRequests.reopened(reader);
                counters.reconnects.incrementAndGet();
                status = SourceStatus.of(State.RUNNING);
                LOG.info("Source '{}' reconnected (attempt {})", name, attempt + 1);
                return true;
            } catch (CdcException e) {
                closeReader();
                if (!isConnectionFailure(e)) {
                    throw e;
                }
                last = e;
                LOG.warn("Source '{}' reconnect attempt {} of {} failed: {}", name, attempt + 1, maxReconnects,
                        e.getMessage());
            } catch (Exception e) {
                last = e;
                closeReader();
                LOG.warn("Source '{}' reconnect attempt {} of {} failed: {}", name, attempt + 1, maxReconnects,
                        e.toString());
            }
        }
        throw new CdcException("Source '" + name + "' could not reconnect after " + maxReconnects + " attempts "
                + "(cdc.reconnect.max-attempts); the last committed position is kept, so a restart resumes after "
                + "it. Last error: " + last.getMessage(), last);
    }

    /**
     * True when a setup error reported while reopening is caused by the connection (SQLState class
     * 08, or 57P: the server shutting down, starting up or in recovery): a restarted server, not a
     * problem waiting cannot fix.
     */
    static boolean isConnectionFailure(Throwable t) {
        return SourceConnections.isConnectionFailure(t);
    }

    /** Hands the batch to the handler; false when stopped before it was processed. */
    private boolean deliver(ChangeHandler handler, List<ChangeEvent> batch) throws Exception {
        int attempt = 0;
        while (true) {
            try {
                counters.handing();
                try {
                    handler.handle(batch);
                } finally {
                    counters.handed();
                }
                counters.delivered(batch);
                if (status.state() == State.RETRYING) {
                    status = SourceStatus.of(State.RUNNING);
                }
                return true;
            } catch (Exception e) {
                counters.handlerFailures.incrementAndGet();
                if (attempt >= maxRetries) {
                    return giveUp(batch, e, attempt);
                }
                status = SourceStatus.of(State.RETRYING);
                Duration delay = backoff(attempt, initialDelay, maxDelay);
                LOG.warn("Handler of source '{}' failed on a batch of {} events (attempt {} of {}); retrying in {}",
                        name, batch.size(), attempt + 1, maxRetries + 1, ConfigKey.format(delay), e);
                if (stopSignal.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                attempt++;
                counters.retries.incrementAndGet();
            }
        }
    }

    private boolean giveUp(List<ChangeEvent> batch, Exception cause, int attempts) throws Exception {
        ChangeEvent first = batch.get(0);
        String what = "a batch of " + batch.size() + " events (first: " + first.table() + " op "
                + first.op().code() + " key " + first.key() + ")";
        if (!tolerateAll) {
            throw new CdcException("The handler of source '" + name + "' failed on " + what + " after " + attempts
                    + " retries (cdc.errors.max-retries=" + maxRetries + ", cdc.errors.tolerance=none). The source "
                    + "stopped without committing the batch: fix the handler and restart to resume at this batch, "
                    + "or set cdc.errors.tolerance=all to dead-letter such batches.", cause);
        }
        deadLetters.handle(batch, cause);
        counters.deadLettered.addAndGet(batch.size());
        status = SourceStatus.of(State.RUNNING);
        LOG.warn("Source '{}' dead-lettered {} after {} retries", name, what, attempts);
        return true;
    }

    private static Duration backoff(int attempt, Duration initialDelay, Duration maxDelay) {
        long initial = initialDelay.toMillis();
        long max = maxDelay.toMillis();
        long d = attempt >= 62 ? max : initial << Math.min(attempt, 30);
        if (d < 0 || d > max) {
            d = max;
        }
        return Duration.ofMillis(d);
    }

    private boolean stopRequested() {
        return stopSignal.getCount() == 0;
    }

    /** Closes the current reader once; a new one is made by the next reconnect attempt. */
    private void closeReader() {
        ChangeReader r = reader;
        reader = null;
        if (r == null) {
            return;
        }
        try {
            r.close();
        } catch (Exception e) {
            LOG.warn("Closing the reader of source '{}' failed", name, e);
        }
    }

    private void release() {
        closeReader();
        if (ownsStore) {
            try {
                store.close();
            } catch (Exception e) {
                LOG.warn("Closing the offset store of source '{}' failed", name, e);
            }
        }
        connections.close();
    }

    @Override
    public SourceStatus status() {
        SourceStatus s = status;
        ChangeReader r = reader;
        SnapshotProgress live = r == null ? SnapshotProgress.UNKNOWN : r.snapshotProgress();
        SnapshotProgress progress = live == SnapshotProgress.UNKNOWN ? SnapshotProgress.from(committed) : live;
        return progress == null ? s : s.withSnapshot(SnapshotStatus.of(progress, probe.estimate(progress)));
    }


    @Override
    public SourceMetrics metrics() {
        ChangeReader r = reader;
        return counters.snapshot(connected(), probe.backlog(status.isActive() ? r : null));
    }

    @Override
    public SourceHealth health() {
        return healthCheck.judge(status, metrics());
    }

    @Override
    public CdcConfig config() {
        return config;
    }

    @Override
    public void snapshot(TableId... tables) {
        requestSnapshot(List.of(tables), () -> { }, reason -> LOG.error("Source '{}' cannot take the snapshot of {} "
                + "asked for: {}", name, List.of(tables), reason));
    }

    /** Queues a snapshot; see {@link SnapshotRequests#add}. */
    void requestSnapshot(List<TableId> tables, Runnable onCommitted, java.util.function.Consumer<String> onRefused) {
        if (closed.get() || !started.get()) {
            throw new IllegalStateException("source '" + name + "' is not running: start it before asking for a "
                    + "snapshot (cdc.snapshot.mode=initial snapshots every table at the first start)");
        }
        snapshotRequests.add(tables, onCommitted, onRefused);
    }

    /** True while a reader is open and the source is not reconnecting. */
    private boolean connected() {
        State s = status.state();
        return reader != null && (s == State.RUNNING || s == State.RETRYING);
    }


    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            awaitWorker();
            unregister();
            return;
        }
        stopSignal.countDown();
        synchronized (pollLock) {
            if (polling && worker != null) {
                worker.interrupt();
            }
        }
        if (!started.get() || worker == null) {
            if (finished.getCount() > 0) {
                release();
                finished.countDown();
            }
            if (status.state() != State.FAILED) {
                status = SourceStatus.of(State.STOPPED);
            }
            unregister();
            return;
        }
        awaitWorker();
        unregister();
    }

    private void unregister() {
        if (mbean != null) {
            mbean.unregister();
        }
    }

    private void awaitWorker() {
        Thread t = worker;
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            if (!finished.await(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("Source '{}' did not stop within {}; interrupting its handler", name,
                        ConfigKey.format(CLOSE_TIMEOUT));
                t.interrupt();
                finished.await(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ChangeSource{name=" + name + ", mode=" + config.mode() + ", status=" + status.state() + "}";
    }
}
