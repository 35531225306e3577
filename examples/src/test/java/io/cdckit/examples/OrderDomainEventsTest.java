package io.cdckit.examples;

import io.cdckit.examples.OrderDomainEvents.OrderCreated;
import io.cdckit.examples.OrderDomainEvents.OrderEvent;
import io.cdckit.examples.OrderDomainEvents.OrderRemoved;
import io.cdckit.examples.OrderDomainEvents.OrderStatusChanged;
import io.cdckit.examples.OrderDomainEvents.OrderUpdated;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class OrderDomainEventsTest {

    @Test
    void rowChangesBecomeDomainEventsInOrder(TestDatabase db) {
        List<OrderEvent> store = Collections.synchronizedList(new ArrayList<>());
        OrderDomainEvents translator = new OrderDomainEvents(EcommerceSchema.ORDERS, store::add);
        try (ShopCapture shop = new ShopCapture(db)) {
            shop.start("event-sourcing", translator);
            db.execute("INSERT INTO public.orders (id, customer_id, total_amount, status) VALUES (7, 3, 120.00, 'pending')",
                    "UPDATE public.orders SET status = 'paid' WHERE id = 7",
                    "UPDATE public.orders SET total_amount = 99.50 WHERE id = 7",
                    "UPDATE public.orders SET updated_at = clock_timestamp() WHERE id = 7",
                    "UPDATE public.orders SET status = 'shipped' WHERE id = 7",
                    "DELETE FROM public.orders WHERE id = 7");
            shop.awaitUntil(() -> store.size() >= 5 && store.get(store.size() - 1) instanceof OrderRemoved);
        }
        assertThat(store).hasSize(5);
        assertThat(store.get(0)).isInstanceOfSatisfying(OrderCreated.class, e -> {
            assertThat(e.orderId()).isEqualTo(7L);
            assertThat(e.customerId()).isEqualTo(3L);
            assertThat(e.totalAmount()).isEqualByComparingTo("120.00");
            assertThat(e.status()).isEqualTo("pending");
        });
        assertThat(store.get(1)).isEqualTo(new OrderStatusChanged(7L, "pending", "paid", store.get(1).occurredAtMs()));
        assertThat(store.get(2)).isInstanceOfSatisfying(OrderUpdated.class,
                e -> assertThat(e.changes()).isEqualTo(Map.of("total_amount", new BigDecimal("99.50"))));
        assertThat(store.get(3)).isEqualTo(new OrderStatusChanged(7L, "paid", "shipped", store.get(3).occurredAtMs()));
        assertThat(store.get(4)).isEqualTo(new OrderRemoved(7L, store.get(4).occurredAtMs()));
        assertThat(store).extracting(OrderEvent::occurredAtMs).isSorted();
    }
}
