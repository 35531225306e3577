package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Event sourcing from CDC: turns row changes of {@code orders} into domain events —
 * {@link OrderCreated}, {@link OrderStatusChanged}, {@link OrderUpdated} (other fields changed)
 * and {@link OrderRemoved} — and hands them to an event store.
 *
 * <p>What changed is found by comparing with the order's previous state: the event's
 * {@code before} image where the strategy provides it, else the state this translator last saw
 * (so it also works with timestamp polling, whose updates collapse). A change that alters
 * nothing the domain cares about (e.g. a repeated delivery) produces no event.
 */
public final class OrderDomainEvents implements ChangeHandler {

    /** A domain event about one order. */
    public sealed interface OrderEvent permits OrderCreated, OrderStatusChanged, OrderUpdated, OrderRemoved {
        /** The order's id. */
        Object orderId();

        /** The commit time in epoch ms where known, else when cdckit processed the change. */
        long occurredAtMs();
    }

    /** An order was placed. */
    public record OrderCreated(Object orderId, Object customerId, BigDecimal totalAmount, String status,
                               long occurredAtMs) implements OrderEvent {
    }

    /** An order's status moved from one value to another. */
    public record OrderStatusChanged(Object orderId, String from, String to, long occurredAtMs)
            implements OrderEvent {
    }

    /** Other fields of an order changed: field name to new value. */
    public record OrderUpdated(Object orderId, Map<String, Object> changes, long occurredAtMs)
            implements OrderEvent {
    }

    /** An order was deleted. */
    public record OrderRemoved(Object orderId, long occurredAtMs) implements OrderEvent {
    }

    private static final List<String> FIELDS = List.of("customer_id", "total_amount", "status");

    private final TableId orders;
    private final Consumer<OrderEvent> store;
    private final Map<Object, Map<String, Object>> lastSeen = new HashMap<>();

    /** Translates changes of {@code orders} (id, customer_id, total_amount, status) into {@code store}. */
    public OrderDomainEvents(TableId orders, Consumer<OrderEvent> store) {
        this.orders = Objects.requireNonNull(orders, "orders");
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public synchronized void handle(List<ChangeEvent> events) {
        for (ChangeEvent e : events) {
            if (orders.equals(e.table())) {
                translate(e).forEach(store);
            }
        }
    }

    private List<OrderEvent> translate(ChangeEvent e) {
        long at = e.source().tsMs() != null ? e.source().tsMs() : e.tsMs();
        Object id = e.key().get("id");
        List<OrderEvent> out = new ArrayList<>();
        switch (e.op()) {
            case CREATE, READ -> {
                Map<String, Object> now = fields(e.after());
                if (!now.equals(lastSeen.put(id, now))) {
                    out.add(new OrderCreated(id, now.get("customer_id"), (BigDecimal) now.get("total_amount"),
                            (String) now.get("status"), at));
                }
            }
            case UPDATE -> {
                Map<String, Object> now = fields(e.after());
                Map<String, Object> previous = e.before() != null ? fields(e.before()) : lastSeen.get(id);
                lastSeen.put(id, now);
                if (previous == null) {
                    out.add(new OrderUpdated(id, now, at));
                    break;
                }
                if (!Objects.equals(previous.get("status"), now.get("status"))) {
                    out.add(new OrderStatusChanged(id, (String) previous.get("status"), (String) now.get("status"),
                            at));
                }
                Map<String, Object> changes = new java.util.LinkedHashMap<>();
                for (String f : FIELDS) {
                    if (!f.equals("status") && !Objects.equals(previous.get(f), now.get(f))) {
                        changes.put(f, now.get(f));
                    }
                }
                if (!changes.isEmpty()) {
                    out.add(new OrderUpdated(id, changes, at));
                }
            }
            case DELETE -> {
                if (lastSeen.remove(id) != null || e.before() != null) {
                    out.add(new OrderRemoved(id, at));
                }
            }
            case TRUNCATE -> {
                lastSeen.keySet().forEach(orderId -> out.add(new OrderRemoved(orderId, at)));
                lastSeen.clear();
            }
        }
        return out;
    }

    private static Map<String, Object> fields(Map<String, Object> row) {
        Map<String, Object> m = new HashMap<>();
        for (String f : FIELDS) {
            m.put(f, row.get(f));
        }
        return m;
    }
}
