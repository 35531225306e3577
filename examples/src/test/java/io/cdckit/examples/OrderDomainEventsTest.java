package io.cdckit.examples;

import io.cdckit.examples.OrderDomainEvents.OrderCreated;
import io.cdckit.examples.OrderDomainEvents.OrderEvent;
import io.cdckit.examples.OrderDomainEvents.OrderRemoved;
import io.cdckit.examples.OrderDomainEvents.OrderStatusChanged;
import io.cdckit.examples.OrderDomainEvents.OrderUpdated;
import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class OrderDomainEventsTest {

    @EveryMode
    void rowChangesBecomeDomainEventsInOrder(String mode, PostgresServer server) {
        List<OrderEvent> store = Collections.synchronizedList(new ArrayList<>());
        OrderDomainEvents translator = new OrderDomainEvents(EcommerceSchema.ORDERS, store::add);
        boolean polling;
        try (ShopCapture shop = new ShopCapture(server, mode)) {
            TestDatabase db = shop.db();
            polling = shop.polling();
            shop.start("event-sourcing", translator);
            // one step at a time, each seen before the next: a poll sees only the latest state of a row
            db.execute("INSERT INTO public.orders (id, customer_id, total_amount, status)"
                    + " VALUES (7, 3, 120.00, 'pending')");
            shop.awaitUntil(() -> store.size() >= 1);
            db.execute("UPDATE public.orders SET status = 'paid', updated_at = clock_timestamp() WHERE id = 7");
            shop.awaitUntil(() -> store.size() >= 2);
            db.execute("UPDATE public.orders SET total_amount = 99.50, updated_at = clock_timestamp() WHERE id = 7");
            shop.awaitUntil(() -> store.size() >= 3);
            // nothing the domain cares about changes: no event
            db.execute("UPDATE public.orders SET updated_at = clock_timestamp() WHERE id = 7");
            // two status changes in one transaction: a poll sees only where they ended
            shop.inOneTransaction(
                    "UPDATE public.orders SET status = 'shipped', updated_at = clock_timestamp() WHERE id = 7",
                    "UPDATE public.orders SET status = 'delivered', updated_at = clock_timestamp() WHERE id = 7");
            shop.awaitUntil(() -> last(store) instanceof OrderStatusChanged s && s.to().equals("delivered"));
            db.execute("DELETE FROM public.orders WHERE id = 7");
            shop.awaitUntil(() -> last(store) instanceof OrderRemoved);
        }

        assertThat(store.get(0)).isInstanceOfSatisfying(OrderCreated.class, e -> {
            assertThat(e.orderId()).isEqualTo(7L);
            assertThat(e.customerId()).isEqualTo(3L);
            assertThat(e.totalAmount()).isEqualByComparingTo("120.00");
            assertThat(e.status()).isEqualTo("pending");
        });
        assertThat(store.get(1)).isEqualTo(new OrderStatusChanged(7L, "pending", "paid", store.get(1).occurredAtMs()));
        assertThat(store.get(2)).isInstanceOfSatisfying(OrderUpdated.class,
                e -> assertThat(e.changes()).isEqualTo(Map.of("total_amount", new BigDecimal("99.50"))));
        if (polling) {
            // no before image: the translator compares with the state it last saw, so each status change
            // still names where it came from; the intermediate 'shipped' collapsed into 'delivered'
            assertThat(store).hasSize(5);
            assertThat(store.get(3)).isEqualTo(
                    new OrderStatusChanged(7L, "paid", "delivered", store.get(3).occurredAtMs()));
        } else {
            assertThat(store).hasSize(6);
            assertThat(store.get(3)).isEqualTo(
                    new OrderStatusChanged(7L, "paid", "shipped", store.get(3).occurredAtMs()));
            assertThat(store.get(4)).isEqualTo(
                    new OrderStatusChanged(7L, "shipped", "delivered", store.get(4).occurredAtMs()));
        }
        assertThat(last(store)).isEqualTo(new OrderRemoved(7L, last(store).occurredAtMs()));
        assertThat(store).extracting(OrderEvent::occurredAtMs).isSorted();
    }

    private static OrderEvent last(List<OrderEvent> store) {
        return store.get(store.size() - 1);
    }
}
