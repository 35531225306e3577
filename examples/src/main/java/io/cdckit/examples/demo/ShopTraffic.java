package io.cdckit.examples.demo;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scaled-out demo's workload: several writers at once on the shop schema, each placing its
 * own orders (an order and its product's stock in one transaction), moving them along
 * pending → paid → shipped → delivered, cancelling or deleting some, correcting amounts and
 * renaming customers, interleaved; and one long transaction (a new customer and their order)
 * that stays open until {@link Running#commitLongTransaction()} or the writers are done. Every
 * transaction locks at most one row that another writer may touch, so writers wait on each
 * other but never deadlock; every update sets {@code updated_at} (the timestamp strategy reads it).
 */
final class ShopTraffic {

    private static final String[] STATUSES = {"pending", "paid", "shipped", "delivered"};

    private final Callable<Connection> connections;
    private final int writers;
    private final int customers;
    private final int products;
    private final int orders;
    private final Duration pause;

    /**
     * {@code orders} orders over {@code writers} writers, on {@code customers} customers (ids 1..n)
     * and {@code products} products (ids 1..n) that exist already, pausing {@code pause} after each
     * transaction.
     */
    ShopTraffic(Callable<Connection> connections, int writers, int customers, int products, int orders,
                Duration pause) {
        this.connections = connections;
        this.writers = writers;
        this.customers = customers;
        this.products = products;
        this.orders = orders;
        this.pause = pause;
    }

    /** What the workload did, counted in rows written. */
    record Summary(int transactions, int inserts, int updates, int deletes) {
    }

    /** The workload while it runs. */
    final class Running {
        private final ExecutorService pool = Executors.newFixedThreadPool(writers + 1, r -> {
            Thread t = new Thread(r, "shop-writer");
            t.setDaemon(true);
            return t;
        });
        private final AtomicInteger placed = new AtomicInteger();
        private final AtomicInteger transactions = new AtomicInteger();
        private final AtomicInteger inserts = new AtomicInteger();
        private final AtomicInteger updates = new AtomicInteger();
        private final AtomicInteger deletes = new AtomicInteger();
        private final CountDownLatch commitLong = new CountDownLatch(1);
        private final CountDownLatch longOpen = new CountDownLatch(1);
        private final List<Future<?>> futures = new ArrayList<>();

        private void start() throws InterruptedException {
            futures.add(pool.submit(() -> {
                longTransaction();
                return null;
            }));
            // the long transaction opens before the writers start, so it spans their work
            longOpen.await(30, TimeUnit.SECONDS);
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    write(writer);
                    return null;
                }));
            }
        }

        /** Orders placed so far. */
        int ordersPlaced() {
            return placed.get();
        }

        /** Transactions committed so far. */
        int transactions() {
            return transactions.get();
        }

        /** Whether every writer has finished (or failed). */
        boolean isDone() {
            return futures.stream().skip(1).allMatch(Future::isDone);
        }

        /** Lets the long transaction commit now. */
        void commitLongTransaction() {
            commitLong.countDown();
        }

        /** Waits for every writer and the long transaction (which commits at the latest now). */
        Summary await() throws Exception {
            for (int i = 1; i < futures.size(); i++) {
                futures.get(i).get();
            }
            commitLongTransaction();
            futures.get(0).get();
            pool.shutdown();
            return new Summary(transactions.get(), inserts.get(), updates.get(), deletes.get());
        }

        /** Stops the writers (after a failure elsewhere). */
        void abort() {
            commitLongTransaction();
            pool.shutdownNow();
        }

        private void longTransaction() throws Exception {
            try (Connection c = connections.call()) {
                c.setAutoCommit(false);
                long customer = customers + 1L;
                long order = orders + 1L;
                update(c, "INSERT INTO public.customers (id, name, email, segment) VALUES (?, ?, ?, ?)",
                        customer, "Customer " + customer + " (long transaction)", "customer" + customer + "@example.com",
                        "gold");
                update(c, "INSERT INTO public.orders (id, customer_id, total_amount, status) VALUES (?, ?, ?, ?)",
                        order, customer, new BigDecimal("999.00"), "pending");
                longOpen.countDown();
                commitLong.await();
                c.commit();
                inserts.addAndGet(2);
                transactions.incrementAndGet();
            } finally {
                longOpen.countDown();
            }
        }

        private void write(int writer) throws Exception {
            Random random = new Random(1000L + writer);
            List<long[]> open = new ArrayList<>(); // {order id, status index}
            long next = writer + 1L;
            try (Connection c = connections.call()) {
                c.setAutoCommit(false);
                while (next <= orders || !open.isEmpty()) {
                    boolean place = next <= orders && (open.isEmpty() || random.nextInt(10) < 4);
                    if (place) {
                        long product = 1 + random.nextInt(products);
                        update(c, "INSERT INTO public.orders (id, customer_id, total_amount, status) VALUES (?, ?, ?, ?)",
                                next, 1L + random.nextInt(customers), BigDecimal.valueOf(500 + random.nextInt(50_000), 2),
                                "pending");
                        update(c, "UPDATE public.products SET stock = stock - 1, updated_at = clock_timestamp()"
                                + " WHERE id = ?", product);
                        c.commit();
                        open.add(new long[] {next, 0});
                        next += writers;
                        placed.incrementAndGet();
                        count(1, 1, 0);
                    } else {
                        int pick = random.nextInt(open.size());
                        long[] o = open.get(pick);
                        int dice = random.nextInt(20);
                        if (dice == 0) {
                            update(c, "DELETE FROM public.orders WHERE id = ?", o[0]);
                            open.remove(pick);
                            count(0, 0, 1);
                        } else if (dice == 1) {
                            update(c, "UPDATE public.orders SET status = 'cancelled', updated_at = clock_timestamp()"
                                    + " WHERE id = ?", o[0]);
                            open.remove(pick);
                            count(0, 1, 0);
                        } else if (dice == 2) {
                            update(c, "UPDATE public.orders SET total_amount = total_amount + 1.50,"
                                    + " updated_at = clock_timestamp() WHERE id = ?", o[0]);
                            count(0, 1, 0);
                        } else if (dice == 3) {
                            long customer = 1 + random.nextInt(customers);
                            update(c, "UPDATE public.customers SET name = ?, segment = ?, updated_at = clock_timestamp()"
                                    + " WHERE id = ?", "Customer " + customer + " (renamed by writer " + writer + ")",
                                    random.nextBoolean() ? "gold" : "standard", customer);
                            count(0, 1, 0);
                        } else {
                            o[1]++;
                            update(c, "UPDATE public.orders SET status = ?, updated_at = clock_timestamp() WHERE id = ?",
                                    STATUSES[(int) o[1]], o[0]);
                            if (o[1] == STATUSES.length - 1) {
                                open.remove(pick);
                            }
                            count(0, 1, 0);
                        }
                        c.commit();
                    }
                    transactions.incrementAndGet();
                    if (!pause.isZero()) {
                        Thread.sleep(pause.toMillis());
                    }
                }
            }
        }

        private void count(int insert, int update, int delete) {
            inserts.addAndGet(insert);
            updates.addAndGet(update);
            deletes.addAndGet(delete);
        }
    }

    /** Starts the long transaction, then the writers. */
    Running start() throws InterruptedException {
        Running running = new Running();
        running.start();
        return running;
    }

    private static void update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        }
    }
}
