package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Real-time analytics over the {@code orders} table, kept incrementally: revenue and order
 * count per day (of {@code created_at}, UTC) and the total per customer.
 *
 * <p>Correct on update and delete: the figures of an order's previous state are taken out
 * before its new state is put in. The previous state is the one this handler last saw for the
 * order (so it works without a before image, e.g. with timestamp polling), and applying the same
 * event twice changes nothing — at-least-once delivery is safe.
 */
public final class OrderAnalytics implements ChangeHandler {

    /** The figures of one order. */
    private record Facts(LocalDate day, Object customerId, BigDecimal amount) {
    }

    /**
     * The current figures.
     *
     * @param dailyRevenue   revenue per day
     * @param dailyOrders    number of orders per day
     * @param customerTotals total amount per customer id
     */
    public record Totals(Map<LocalDate, BigDecimal> dailyRevenue, Map<LocalDate, Long> dailyOrders,
                         Map<Object, BigDecimal> customerTotals) {
    }

    /** Count and sum of the orders in one group (a day, a customer). */
    private record Sum(long count, BigDecimal amount) {
        Sum plus(Sum o) {
            return new Sum(count + o.count, amount.add(o.amount));
        }
    }

    private final TableId orders;
    private final Map<Object, Facts> known = new HashMap<>();
    private final Map<LocalDate, Sum> days = new TreeMap<>();
    private final Map<Object, Sum> customers = new HashMap<>();

    /** Analytics over {@code orders}, a table with id, customer_id, total_amount and created_at. */
    public OrderAnalytics(TableId orders) {
        this.orders = Objects.requireNonNull(orders, "orders");
    }

    @Override
    public synchronized void handle(List<ChangeEvent> events) {
        for (ChangeEvent e : events) {
            if (!orders.equals(e.table())) {
                continue;
            }
            switch (e.op()) {
                case CREATE, UPDATE, READ -> replace(e.key().get("id"), facts(e.after()));
                case DELETE -> replace(e.key().get("id"), null);
                case TRUNCATE -> {
                    known.clear();
                    days.clear();
                    customers.clear();
                }
            }
        }
    }

    /** A copy of the current figures; days and customers without orders are absent. */
    public synchronized Totals totals() {
        Map<LocalDate, BigDecimal> revenue = new TreeMap<>();
        Map<LocalDate, Long> counts = new TreeMap<>();
        days.forEach((day, sum) -> {
            revenue.put(day, sum.amount());
            counts.put(day, sum.count());
        });
        Map<Object, BigDecimal> perCustomer = new HashMap<>();
        customers.forEach((c, sum) -> perCustomer.put(c, sum.amount()));
        return new Totals(Map.copyOf(revenue), Map.copyOf(counts), Map.copyOf(perCustomer));
    }

    private void replace(Object orderId, Facts next) {
        Facts previous = next == null ? known.remove(orderId) : known.put(orderId, next);
        if (previous != null) {
            add(previous, new Sum(-1, previous.amount().negate()));
        }
        if (next != null) {
            add(next, new Sum(1, next.amount()));
        }
    }

    private void add(Facts f, Sum delta) {
        days.merge(f.day(), delta, (a, b) -> a.plus(b).count() == 0 ? null : a.plus(b));
        customers.merge(f.customerId(), delta, (a, b) -> a.plus(b).count() == 0 ? null : a.plus(b));
    }

    private static Facts facts(Map<String, Object> order) {
        Instant created = (Instant) order.get("created_at");
        return new Facts(LocalDate.ofInstant(created, ZoneOffset.UTC), order.get("customer_id"),
                (BigDecimal) order.get("total_amount"));
    }
}
