package io.cdckit.testkit;

import io.cdckit.api.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A reproducible concurrent writer to the standard workload table (see {@link #createTable}): the
 * traffic a change source must capture without losing, inventing or reordering a change.
 *
 * <p>Each of {@link #threads(int) threads} workers runs {@link #transactionsPerThread(int)}
 * transactions of 1 to {@link #maxStatementsPerTransaction(int)} inserts, updates and deletes,
 * drawn from {@link #seed(long)} in the proportions of {@link #mix(int, int, int)}. Workers insert
 * ids from their own range and update and delete only rows they know, so keys never collide; they
 * also update a small set of shared hot rows (at most one per transaction, so they cannot
 * deadlock), whose row locks serialise the threads and give those rows a commit order a change
 * source must keep. Every {@link #rollbackEvery(int) n-th} transaction of a worker writes and then
 * rolls back: its notes start with {@link #ROLLED_BACK_NOTE} and the ids it inserted are in
 * {@link WorkloadResult#rolledBackIds()}.
 *
 * <p>{@link #longTransactions(int) Long transactions} run beside the workers: each begins and
 * writes before any worker transaction starts, writes some more while the workers commit, holds
 * for at least {@link #longTransactionHold(Duration)} and until later worker transactions have
 * committed, updates a hot row last and commits. Their changes are older than many changes
 * committed before them: the classic case that breaks change capture by transaction id or by
 * timestamp.
 *
 * <p>Single-threaded, the same seed gives the same final content of {@code id, account, amount,
 * note} (not {@code updated_at}), long transactions included. With several threads the hot rows'
 * notes depend on the interleaving; everything else is still the same.
 *
 * <pre>{@code
 * Workload.createTable(db::connect, table);
 * WorkloadResult r = Workload.on(db::connect, table).threads(4).transactionsPerThread(100)
 *         .longTransactions(2).seed(42).run();
 * }</pre>
 *
 * <p>A workload writes above the largest id in the table when it starts, so several can run one
 * after another on the same table. {@link #run()} fails after {@link #timeout(Duration)} (two
 * minutes unless set).
 */
public final class Workload {

    /** Every note written by a rolled-back transaction starts with this; no committed note does. */
    public static final String ROLLED_BACK_NOTE = "rolled back";

    private static final Logger LOG = LoggerFactory.getLogger(Workload.class);
    /** Ids each worker and long transaction may use above its base. */
    private static final long ID_RANGE = 1_000_000_000L;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    private static final String[] NOTES = {"plain", "it's", "say \"hi\"", "ünïcödé ✓", "comma, {brace}",
        "back\\slash", "", "NULL", "tab\there", "😀 emoji"};

    private final Callable<Connection> connections;
    private final TableId table;
    private int threads = 4;
    private int transactionsPerThread = 50;
    private int maxStatementsPerTransaction = 5;
    private long seed = 1;
    private int longTransactions;
    private Duration longTransactionHold = Duration.ofSeconds(2);
    private int insertWeight = 50;
    private int updateWeight = 35;
    private int deleteWeight = 15;
    private int hotRows = 8;
    private int rollbackEvery = 10;
    private Duration pauseBetweenTransactions = Duration.ZERO;
    private Duration timeout = Duration.ofMinutes(2);

    private Workload(Callable<Connection> connections, TableId table) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.table = Objects.requireNonNull(table, "table");
    }

    /**
     * A workload on {@code table}, which must have the standard workload columns.
     *
     * @param connections opens a connection to the table's database, e.g. {@code db::connect};
     *                    each worker and long transaction opens its own
     */
    public static Workload on(Callable<Connection> connections, TableId table) {
        return new Workload(connections, table);
    }

    /**
     * Creates the schema (if missing) and the standard workload table: {@code id bigint PRIMARY
     * KEY, account int NOT NULL, amount numeric(12,2) NOT NULL, note text, updated_at timestamptz
     * NOT NULL DEFAULT clock_timestamp()}.
     */
    public static void createTable(Callable<Connection> connections, TableId table) {
        try (Connection c = open(connections); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(table.schema()));
            st.execute("CREATE TABLE " + table.quoted() + " (id bigint PRIMARY KEY, account int NOT NULL,"
                    + " amount numeric(12,2) NOT NULL, note text,"
                    + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the workload table " + table + ": " + e.getMessage(), e);
        }
    }

    /** Concurrent workers, 4 unless set. */
    public Workload threads(int threads) {
        this.threads = atLeast(1, threads, "threads");
        return this;
    }

    /** Transactions each worker runs, rolled-back ones included; 50 unless set. */
    public Workload transactionsPerThread(int transactions) {
        this.transactionsPerThread = atLeast(0, transactions, "transactionsPerThread");
        return this;
    }

    /** Most statements in one transaction (each has 1 to this many); 5 unless set. */
    public Workload maxStatementsPerTransaction(int statements) {
        this.maxStatementsPerTransaction = atLeast(1, statements, "maxStatementsPerTransaction");
        return this;
    }

    /** Seed of every random choice; 1 unless set. */
    public Workload seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Long transactions beside the workers (see the class description); none unless set. */
    public Workload longTransactions(int count) {
        this.longTransactions = atLeast(0, count, "longTransactions");
        return this;
    }

    /** Least time a long transaction stays open; 2 seconds unless set. */
    public Workload longTransactionHold(Duration hold) {
        this.longTransactionHold = nonNegative(hold, "longTransactionHold");
        return this;
    }

    /**
     * Relative weights of inserts, updates and deletes; 50, 35, 15 unless set. An update or delete
     * drawn while a worker knows no row of its own becomes an insert.
     */
    public Workload mix(int inserts, int updates, int deletes) {
        if (inserts < 0 || updates < 0 || deletes < 0 || inserts + updates + deletes == 0 || inserts == 0) {
            throw new IllegalArgumentException("mix needs non-negative weights and some inserts, got " + inserts
                    + "/" + updates + "/" + deletes);
        }
        this.insertWeight = inserts;
        this.updateWeight = updates;
        this.deleteWeight = deletes;
        return this;
    }

    /** Rows that all workers update (inserted first, never deleted); 8 unless set, 0 for none. */
    public Workload hotRows(int rows) {
        this.hotRows = atLeast(0, rows, "hotRows");
        return this;
    }

    /** Every n-th transaction of each worker rolls back; 10 unless set, 0 for never. */
    public Workload rollbackEvery(int n) {
        this.rollbackEvery = atLeast(0, n, "rollbackEvery");
        return this;
    }

    /** Pause of each worker after each transaction, to spread a workload over time; none unless set. */
    public Workload pauseBetweenTransactions(Duration pause) {
        this.pauseBetweenTransactions = nonNegative(pause, "pauseBetweenTransactions");
        return this;
    }

    /** Longest a run may take before it is stopped and fails; 2 minutes unless set. */
    public Workload timeout(Duration timeout) {
        this.timeout = nonNegative(timeout, "timeout");
        return this;
    }

    /**
     * Runs the workload and waits for it to end.
     *
     * @throws IllegalStateException when a statement fails or the run takes longer than the timeout
     */
    public WorkloadResult run() {
        try (Running running = start()) {
            return running.await();
        }
    }

    /**
     * Inserts the hot rows, then starts the workers and long transactions in the background.
     *
     * @return the running workload; {@link Running#await()} waits for its result
     */
    public Running start() {
        return new Running(this);
    }

    /** A workload running in the background. Closing it stops it early. */
    public static final class Running implements AutoCloseable {

        private final Workload w;
        private final long hotBase;
        private final long idOrigin;
        private final long startNanos = System.nanoTime();
        private final AtomicLong inserts = new AtomicLong();
        private final AtomicLong updates = new AtomicLong();
        private final AtomicLong deletes = new AtomicLong();
        private final AtomicLong committed = new AtomicLong();
        private final AtomicLong workerCommits = new AtomicLong();
        private final AtomicLong rolledBack = new AtomicLong();
        private final Set<Long> rolledBackIds = ConcurrentHashMap.newKeySet();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicInteger workersLeft;
        private final AtomicInteger longOpen = new AtomicInteger();
        private final CountDownLatch longOpened;
        private final CountDownLatch finished;
        private final Set<Statement> running = ConcurrentHashMap.newKeySet();
        private final ScheduledExecutorService monitor;
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean stopped;
        /** Opens when the workload is stopped, to end pauses early. */
        private final CountDownLatch stopSignal = new CountDownLatch(1);
        private final AtomicLong endNanos = new AtomicLong();
        private volatile IllegalStateException timedOut;

        private Running(Workload w) {
            this.w = w;
            int tasks = w.threads + w.longTransactions;
            this.workersLeft = new AtomicInteger(w.threads);
            this.longOpened = new CountDownLatch(w.longTransactions);
            this.finished = new CountDownLatch(tasks);
            try (Connection c = open(w.connections)) {
                long max;
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM " + w.table.quoted())) {
                    rs.next();
                    max = rs.getLong(1);
                }
                this.idOrigin = max;
                this.hotBase = max + 1;
                if (w.hotRows > 0) {
                    c.setAutoCommit(false);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + w.table.quoted()
                            + " (id, account, amount, note) VALUES (?, 0, 0, ?)")) {
                        for (int i = 0; i < w.hotRows; i++) {
                            ps.setLong(1, hotBase + i);
                            ps.setString(2, "hot " + i);
                            ps.executeUpdate();
                        }
                    }
                    c.commit();
                    inserts.addAndGet(w.hotRows);
                    committed.incrementAndGet();
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot start the workload on " + w.table + ": " + e.getMessage(), e);
            }
            LOG.info("workload on {}: {} threads x {} transactions, {} long transactions, seed {}", w.table, w.threads,
                    w.transactionsPerThread, w.longTransactions, w.seed);
            monitor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "workload-monitor");
                t.setDaemon(true);
                return t;
            });
            long every = PROGRESS_EVERY.toMillis();
            monitor.scheduleAtFixedRate(this::logProgress, every, every, TimeUnit.MILLISECONDS);
            monitor.schedule(this::timeOut, w.timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (int i = 0; i < w.longTransactions; i++) {
                int index = i;
                long base = idOrigin + (long) (w.threads + 1 + i) * ID_RANGE;
                threads.add(task("workload-long-" + i, () -> longTransaction(index, base)));
            }
            for (int i = 0; i < w.threads; i++) {
                int index = i;
                long base = idOrigin + (long) (i + 1) * ID_RANGE;
                threads.add(task("workload-" + i, () -> worker(index, base)));
            }
            threads.forEach(Thread::start);
        }

        /**
         * Waits for the workload to end.
         *
         * @throws IllegalStateException when a statement failed or the run took longer than the timeout
         */
        public WorkloadResult await() {
            try {
                // the monitor fails the run at its timeout; tasks then end at their next statement
                if (!finished.await(w.timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
                    stop();
                    throw new IllegalStateException("workload on " + w.table + " did not stop after its timeout: "
                            + progress());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
                throw new IllegalStateException("interrupted while waiting for the workload on " + w.table, e);
            }
            monitor.shutdownNow();
            Throwable f = failure.get();
            if (f != null) {
                throw f == timedOut ? timedOut
                        : new IllegalStateException("workload on " + w.table + " failed: " + f.getMessage(), f);
            }
            WorkloadResult result = new WorkloadResult(inserts.get(), updates.get(), deletes.get(), committed.get(),
                    rolledBack.get(), Duration.ofNanos(endNanos.get() - startNanos), rolledBackIds);
            LOG.info("workload on {} done: {}", w.table, result);
            return result;
        }

        /** True when every worker and long transaction has ended. */
        public boolean isDone() {
            return finished.getCount() == 0;
        }

        /** Transactions committed so far. */
        public long transactionsCommitted() {
            return committed.get();
        }

        /** Stops the workload early (open transactions roll back) and waits briefly for it to end. */
        @Override
        public void close() {
            if (!isDone()) {
                stop();
                try {
                    finished.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            monitor.shutdownNow();
        }

        private Thread task(String name, SqlTask body) {
            Thread t = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable e) {
                    fail(e);
                } finally {
                    endNanos.accumulateAndGet(System.nanoTime(), Math::max);
                    finished.countDown();
                }
            }, name);
            t.setDaemon(true);
            return t;
        }

        private interface SqlTask {
            void run() throws Exception;
        }

        private void timeOut() {
            if (!isDone()) {
                timedOut = new IllegalStateException("workload on " + w.table + " did not finish within " + w.timeout
                        + ": " + progress());
                fail(timedOut);
            }
        }

        private void fail(Throwable e) {
            if (failure.compareAndSet(null, e) && !stopped) {
                LOG.warn("workload on {} stops: {}", w.table, e.toString());
            }
            stop();
        }

        private void stop() {
            stopped = true;
            stopSignal.countDown();
            for (Statement st : running) {
                try {
                    st.cancel();
                } catch (SQLException ignored) {
                    // it ends anyway when its connection closes
                }
            }
            for (long i = longOpened.getCount(); i > 0; i--) {
                longOpened.countDown();
            }
        }

        /** Sleeps, but no longer than until the workload is stopped. */
        private void pause(long millis) throws InterruptedException {
            stopSignal.await(millis, TimeUnit.MILLISECONDS);
        }

        private String progress() {
            long planned = (long) w.threads * w.transactionsPerThread + w.longTransactions + (w.hotRows > 0 ? 1 : 0);
            return committed.get() + " transactions committed, " + rolledBack.get() + " rolled back of " + planned
                    + " planned; " + longOpen.get() + " long transactions open";
        }

        private void logProgress() {
            LOG.info("workload on {}: {}", w.table, progress());
        }

        private int update(Connection c, String sql, Object... params) throws SQLException {
            if (stopped) {
                throw new IllegalStateException("workload stopped");
            }
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    Object p = params[i];
                    if (p == null) {
                        ps.setNull(i + 1, java.sql.Types.VARCHAR);
                    } else {
                        ps.setObject(i + 1, p);
                    }
                }
                running.add(ps);
                try {
                    return ps.executeUpdate();
                } finally {
                    running.remove(ps);
                }
            }
        }

        private void expectOne(int rows, String what, long id) {
            if (rows != 1) {
                throw new IllegalStateException(what + " of id " + id + " changed " + rows
                        + " rows: is another writer changing " + w.table + "?");
            }
        }

        /** Changes made by one transaction, counted when it commits. */
        private static final class Changes {
            long inserts;
            long updates;
            long deletes;
        }

        private void insert(Connection c, long id, Random rnd, String note, Changes changes) throws SQLException {
            int rows = update(c, "INSERT INTO " + w.table.quoted() + " (id, account, amount, note) VALUES (?, ?, ?, ?)",
                    id, 1 + rnd.nextInt(100), amount(rnd, 1_000_000), note);
            expectOne(rows, "insert", id);
            changes.inserts++;
        }

        private void updateOwn(Connection c, long id, Random rnd, String note, Changes changes) throws SQLException {
            String set = switch (rnd.nextInt(3)) {
                case 0 -> "amount = ?, note = ?";
                case 1 -> "account = ?, note = ?";
                default -> "note = ?";
            };
            List<Object> params = new ArrayList<>();
            if (set.startsWith("amount")) {
                params.add(amount(rnd, 1_000_000));
            } else if (set.startsWith("account")) {
                params.add(1 + rnd.nextInt(100));
            }
            params.add(note);
            params.add(id);
            int rows = update(c, "UPDATE " + w.table.quoted() + " SET " + set
                    + ", updated_at = clock_timestamp() WHERE id = ?", params.toArray());
            expectOne(rows, "update", id);
            changes.updates++;
        }

        private void updateHot(Connection c, long id, BigDecimal delta, String note, Changes changes)
                throws SQLException {
            int rows = note == null
                    ? update(c, "UPDATE " + w.table.quoted()
                            + " SET amount = amount + ?, updated_at = clock_timestamp() WHERE id = ?", delta, id)
                    : update(c, "UPDATE " + w.table.quoted()
                            + " SET amount = amount + ?, note = ?, updated_at = clock_timestamp() WHERE id = ?",
                            delta, note, id);
            expectOne(rows, "update of hot row", id);
            changes.updates++;
        }

        private void delete(Connection c, long id, Changes changes) throws SQLException {
            expectOne(update(c, "DELETE FROM " + w.table.quoted() + " WHERE id = ?", id), "delete", id);
            changes.deletes++;
        }

        private void commit(Connection c, Changes changes) throws SQLException {
            c.commit();
            inserts.addAndGet(changes.inserts);
            updates.addAndGet(changes.updates);
            deletes.addAndGet(changes.deletes);
            committed.incrementAndGet();
        }

        private void worker(int index, long base) throws Exception {
            Random rnd = new Random(mix(w.seed, index));
            List<Long> live = new ArrayList<>();
            long nextId = base;
            int totalWeight = w.insertWeight + w.updateWeight + w.deleteWeight;
            try (Connection c = open(w.connections)) {
                c.setAutoCommit(false);
                longOpened.await();
                for (int tx = 0; tx < w.transactionsPerThread && !stopped; tx++) {
                    boolean rollback = w.rollbackEvery > 0 && (tx + 1 + index) % w.rollbackEvery == 0;
                    List<Long> liveBefore = new ArrayList<>(live);
                    List<Long> insertedHere = new ArrayList<>();
                    Changes changes = new Changes();
                    boolean hotTouched = false;
                    int statements = 1 + rnd.nextInt(w.maxStatementsPerTransaction);
                    for (int s = 0; s < statements; s++) {
                        String note = rollback ? ROLLED_BACK_NOTE + " by worker " + index + " in transaction " + tx
                                : note(rnd);
                        int draw = rnd.nextInt(totalWeight);
                        if (draw >= w.insertWeight && draw < w.insertWeight + w.updateWeight && w.hotRows > 0
                                && !hotTouched && rnd.nextInt(4) == 0) {
                            hotTouched = true;
                            updateHot(c, hotBase + rnd.nextInt(w.hotRows), amount(rnd, 100_000),
                                    rollback ? note : "hot, last by worker " + index + " in transaction " + tx, changes);
                        } else if (draw < w.insertWeight || live.isEmpty()) {
                            long id = nextId++;
                            insert(c, id, rnd, note, changes);
                            live.add(id);
                            insertedHere.add(id);
                        } else if (draw < w.insertWeight + w.updateWeight) {
                            updateOwn(c, live.get(rnd.nextInt(live.size())), rnd, note, changes);
                        } else {
                            int i = rnd.nextInt(live.size());
                            long id = live.get(i);
                            live.set(i, live.get(live.size() - 1));
                            live.remove(live.size() - 1);
                            delete(c, id, changes);
                        }
                    }
                    if (rollback) {
                        c.rollback();
                        live = liveBefore;
                        rolledBackIds.addAll(insertedHere);
                        rolledBack.incrementAndGet();
                    } else {
                        commit(c, changes);
                        workerCommits.incrementAndGet();
                    }
                    if (!w.pauseBetweenTransactions.isZero()) {
                        pause(w.pauseBetweenTransactions.toMillis());
                    }
                }
                if (stopped) {
                    c.rollback();
                }
            } finally {
                workersLeft.decrementAndGet();
            }
        }

        private void longTransaction(int index, long base) throws Exception {
            Random rnd = new Random(mix(w.seed, -1 - index));
            boolean opened = false;
            try (Connection c = open(w.connections)) {
                c.setAutoCommit(false);
                long began = System.nanoTime();
                Changes changes = new Changes();
                List<Long> mine = new ArrayList<>();
                long nextId = base;
                String note = "long transaction " + index;
                insert(c, nextId, rnd, note, changes);
                mine.add(nextId++);
                longOpen.incrementAndGet();
                opened = true;
                longOpened.countDown();
                long commitsAtStart = workerCommits.get();
                int steps = Math.max(3, w.maxStatementsPerTransaction);
                long stepMillis = w.longTransactionHold.toMillis() / steps;
                for (int s = 1; s < steps && !stopped; s++) {
                    pause(stepMillis);
                    int what = rnd.nextInt(3);
                    if (what == 0 || mine.size() < 2) {
                        insert(c, nextId, rnd, note, changes);
                        mine.add(nextId++);
                    } else if (what == 1) {
                        updateOwn(c, mine.get(rnd.nextInt(mine.size())), rnd, note, changes);
                    } else {
                        delete(c, mine.remove(rnd.nextInt(mine.size())), changes);
                    }
                }
                // hold on until the hold has passed and later transactions have committed (or none are left)
                while (!stopped && (System.nanoTime() - began < w.longTransactionHold.toNanos()
                        || (workerCommits.get() < commitsAtStart + w.threads && workersLeft.get() > 0))) {
                    pause(10);
                }
                if (w.hotRows > 0) {
                    // amount only, so that the final content does not depend on when this commits
                    updateHot(c, hotBase + rnd.nextInt(w.hotRows), amount(rnd, 100_000), null, changes);
                }
                if (stopped) {
                    c.rollback();
                } else {
                    commit(c, changes);
                }
            } finally {
                if (opened) {
                    longOpen.decrementAndGet();
                } else {
                    longOpened.countDown();
                }
            }
        }
    }

    private static BigDecimal amount(Random rnd, int cents) {
        return BigDecimal.valueOf(rnd.nextInt(2 * cents + 1) - cents, 2);
    }

    private static String note(Random rnd) {
        int pick = rnd.nextInt(NOTES.length + 2);
        if (pick >= NOTES.length) {
            return pick == NOTES.length ? null : "note " + rnd.nextInt(1_000_000);
        }
        return NOTES[pick];
    }

    /** A per-task seed from the workload's seed. */
    private static long mix(long seed, int task) {
        long z = seed * 0x9E3779B97F4A7C15L + task;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static Connection open(Callable<Connection> connections) {
        try {
            return Objects.requireNonNull(connections.call(), "connections returned null");
        } catch (Exception e) {
            throw new IllegalStateException("cannot open a connection: " + e.getMessage(), e);
        }
    }

    private static int atLeast(int min, int value, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    private static Duration nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + d);
        }
        return d;
    }
}
