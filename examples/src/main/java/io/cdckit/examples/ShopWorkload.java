package io.cdckit.examples;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.math.BigDecimal;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * A small, reproducible live workload on the {@link EcommerceSchema}: customers sign up, orders
 * are placed, paid, shipped and some cancelled or deleted, a customer is renamed, and one long
 * transaction opens first and commits after later ones. Every value is a bound parameter.
 */
public final class ShopWorkload {

    private static final String[] STATUSES = {"pending", "paid", "shipped", "delivered"};

    private final Callable<Connection> connections;
    private final int customers;
    private final int orders;
    private final long seed;
    private final Consumer<String> progress;

    /**
     * A workload of {@code customers} customers and {@code orders} orders, reproducible from
     * {@code seed}, reporting each step to {@code progress}.
     */
    public ShopWorkload(Callable<Connection> connections, int customers, int orders, long seed,
                        Consumer<String> progress) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.customers = customers;
        this.orders = orders;
        this.seed = seed;
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** What the workload did. */
    public record Summary(int inserts, int updates, int deletes) {
    }

    /** Runs the workload to the end. */
    public Summary run() throws Exception {
        Random random = new Random(seed);
        int inserts = 0;
        int updates = 0;
        int deletes = 0;
        try (Handle c = Jdbi.open(connections.call()); Handle longTx = Jdbi.open(connections.call())) {
            c.getConnection().setAutoCommit(true);
            for (int i = 1; i <= customers; i++) {
                c.execute("INSERT INTO public.customers (id, name, email, segment) VALUES (?, ?, ?, ?)",
                        (long) i, "Customer " + i, "customer" + i + "@example.com", i % 3 == 0 ? "gold" : "standard");
                inserts++;
            }
            for (int i = 1; i <= 5; i++) {
                c.execute("INSERT INTO public.products (id, name, price, stock) VALUES (?, ?, ?, ?)",
                        (long) i, "Product " + i, new BigDecimal(10 * i + ".99"), 100);
                inserts++;
            }
            progress.accept("inserted " + customers + " customers and 5 products");

            // a long transaction: opens now, places an order, commits after later transactions
            longTx.begin();
            long longOrderId = orders + 1L;
            longTx.execute("INSERT INTO public.orders (id, customer_id, total_amount, status) VALUES (?, ?, ?, ?)",
                    longOrderId, 1L, new BigDecimal("999.00"), "pending");
            inserts++;
            progress.accept("opened a long transaction (order " + longOrderId + ", not yet committed)");

            List<Long> placed = new ArrayList<>();
            for (int i = 1; i <= orders; i++) {
                long customer = 1 + random.nextInt(customers);
                BigDecimal amount = BigDecimal.valueOf(500 + random.nextInt(50_000), 2);
                c.execute("INSERT INTO public.orders (id, customer_id, total_amount, status) VALUES (?, ?, ?, ?)",
                        (long) i, customer, amount, "pending");
                placed.add((long) i);
                inserts++;
            }
            progress.accept("placed " + orders + " orders");
            for (long id : placed) {
                int steps = random.nextInt(STATUSES.length);
                for (int s = 1; s <= steps; s++) {
                    c.execute("UPDATE public.orders SET status = ?, updated_at = clock_timestamp() WHERE id = ?",
                            STATUSES[s], id);
                    updates++;
                }
            }
            progress.accept("moved orders along pending → paid → shipped → delivered");
            c.execute("UPDATE public.customers SET name = ?, segment = ?, updated_at = clock_timestamp() WHERE id = ?",
                    "Customer 1 (renamed)", "gold", 1L);
            updates++;
            c.execute("UPDATE public.orders SET total_amount = total_amount + 1.50, updated_at = clock_timestamp()"
                    + " WHERE id = ?", placed.get(0));
            updates++;
            for (int i = 0; i < placed.size(); i += 5) {
                c.execute("DELETE FROM public.orders WHERE id = ?", placed.get(i));
                deletes++;
            }
            progress.accept("renamed a customer, corrected an amount, deleted every fifth order");
            longTx.commit();
            progress.accept("committed the long transaction after all of the above");
        }
        return new Summary(inserts, updates, deletes);
    }
}
