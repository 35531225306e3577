package io.cdckit.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The concurrent writer of {@link SnapshotBenchmark}: one session writing single-row autocommit
 * statements to the orders table at a steady rate, in turns an update of a random row of the
 * snapshotted rows {@code 1..rows}, an insert of a new row above them and a delete of the oldest
 * row it inserted. Before it starts the paced writes it inserts {@link #WINDOW} rows of its own, so
 * that each delete removes a row inserted about {@code WINDOW} inserts before; when it stops it
 * deletes the rows of its own left, so the table holds the snapshotted rows again. It keeps to its
 * rate and does not catch up on writes it fell behind by more than 100 ms, so a slowed server gets
 * fewer writes, not a burst.
 */
final class SnapshotWriter implements AutoCloseable {

    /** Rows of its own the writer keeps in the table while it runs. */
    static final int WINDOW = 200;
    private static final long MAX_BEHIND_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Connection connection;
    private final PreparedStatement update;
    private final PreparedStatement insert;
    private final PreparedStatement delete;
    private final int rows;
    private final long period;
    private final ArrayDeque<Long> own = new ArrayDeque<>();
    private final SplittableRandom random;
    private final Thread thread;
    private long nextId;
    private volatile boolean running = true;
    private volatile Throwable failure;
    private volatile long writes;
    private volatile long startedNanos;
    private volatile long stoppedNanos;

    private SnapshotWriter(Orders orders, int rows, long firstOwnId, int writesPerSecond, long seed)
            throws SQLException {
        this.connection = orders.connect();
        this.update = connection.prepareStatement(Orders.UPDATE);
        this.insert = connection.prepareStatement(Orders.INSERT);
        this.delete = connection.prepareStatement(Orders.DELETE);
        this.rows = rows;
        this.period = 1_000_000_000L / writesPerSecond;
        this.nextId = firstOwnId;
        this.random = new SplittableRandom(seed);
        this.thread = new Thread(this::run, "snapshot-writer");
        this.thread.setDaemon(true);
    }

    /**
     * Opens the session, inserts the window of its own rows and starts the paced writes.
     *
     * @param firstOwnId the first id of the rows it inserts; above every snapshotted row, and above
     *                   the ids earlier writers of the same table used
     */
    static SnapshotWriter start(Orders orders, int rows, long firstOwnId, int writesPerSecond, long seed)
            throws SQLException {
        SnapshotWriter w = new SnapshotWriter(orders, rows, firstOwnId, writesPerSecond, seed);
        try {
            for (int i = 0; i < WINDOW; i++) {
                w.insertOwn();
            }
        } catch (SQLException | RuntimeException e) {
            w.connection.close();
            throw e;
        }
        w.thread.start();
        return w;
    }

    private void run() {
        startedNanos = System.nanoTime();
        long due = startedNanos;
        try {
            for (long i = 0; running; i++) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    continue;
                }
                switch ((int) (i % 3)) {
                    case 0 -> {
                        Orders.bindUpdate(update, 1 + random.nextInt(rows), i);
                        update.executeUpdate();
                    }
                    case 1 -> insertOwn();
                    default -> deleteOldest();
                }
                writes++;
                due += period;
                long now = System.nanoTime();
                if (now - due > MAX_BEHIND_NANOS) {
                    due = now;
                }
            }
        } catch (SQLException | RuntimeException e) {
            failure = e;
        } finally {
            stoppedNanos = System.nanoTime();
        }
    }

    private void insertOwn() throws SQLException {
        Orders.bindInsert(insert, nextId);
        insert.executeUpdate();
        own.addLast(nextId++);
    }

    private void deleteOldest() throws SQLException {
        Long id = own.pollFirst();
        if (id != null) {
            delete.setLong(1, id);
            delete.executeUpdate();
        }
    }

    /** The id after the last one this writer inserted: where the next writer of the table starts. */
    long nextId() {
        return nextId;
    }

    /** Throws when the writer has failed. */
    void checkHealthy() {
        if (failure != null) {
            throw new IllegalStateException("The concurrent writer failed: " + failure, failure);
        }
    }

    /**
     * Stops the paced writes; returns the writes per second it kept.
     *
     * @throws IllegalStateException when the writer failed
     */
    double stop() {
        halt();
        checkHealthy();
        long nanos = stoppedNanos - startedNanos;
        return nanos <= 0 ? 0 : writes * 1e9 / nanos;
    }

    private void halt() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the writes if they still run, deletes the rows of its own left and closes the session. */
    @Override
    public void close() throws SQLException {
        halt();
        try {
            for (Long id = own.pollFirst(); id != null; id = own.pollFirst()) {
                delete.setLong(1, id);
                delete.executeUpdate();
            }
        } finally {
            connection.close();
        }
    }
}
