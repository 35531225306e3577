package io.cdckit.examples;

import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.PostgresTest;

import java.sql.Connection;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read model needs neither before images nor every intermediate update: whatever the
 * strategy sees less, the summary ends up right.
 */
@PostgresTest
class OrderSummaryReadModelTest {

    private static final String EXPECTED = "SELECT o.id, o.customer_id, o.total_amount, o.status, c.name, c.segment"
            + " FROM public.orders o LEFT JOIN public.customers c ON c.id = o.customer_id ORDER BY o.id";
    private static final String ACTUAL = "SELECT order_id, customer_id, total_amount, status, customer_name,"
            + " customer_segment FROM read_model.order_summary ORDER BY order_id";

    @EveryMode
    void summaryStaysRightWhenOrdersAndCustomersChange(String mode, PostgresServer server) throws Exception {
        try (ShopCapture shop = new ShopCapture(server, mode);
             OrderSummaryReadModel model = new OrderSummaryReadModel(shop.db().connect(), "read_model",
                     EcommerceSchema.CUSTOMERS, EcommerceSchema.ORDERS);
             Connection c = shop.db().connect()) {
            shop.start("cqrs", model);
            shop.runWorkload(6, 25);
            shop.awaitUntil(() -> shop.rows(c, ACTUAL).equals(shop.rows(c, EXPECTED)));

            // the customer changes after her orders were summarised: every summary follows
            shop.db().execute("UPDATE public.customers SET name = 'Renamed Again', segment = 'platinum',"
                    + " updated_at = clock_timestamp() WHERE id = 2");
            shop.awaitUntil(() -> shop.rows(c, ACTUAL).equals(shop.rows(c, EXPECTED)));
            assertThat(shop.rows(c, ACTUAL)).isEqualTo(shop.rows(c, EXPECTED));
            long ordersOfCustomer2 = shop.db().queryForLong("SELECT count(*) FROM public.orders WHERE customer_id = 2");
            assertThat(ordersOfCustomer2).isPositive();
            assertThat(shop.db().queryForLong("SELECT count(*) FROM read_model.order_summary"
                    + " WHERE customer_name = 'Renamed Again'")).isEqualTo(ordersOfCustomer2);

            // the customer is deleted (timestamp polling finds that by key reconciliation): her orders lose her name
            shop.db().execute("DELETE FROM public.customers WHERE id = 2");
            shop.awaitUntil(() -> shop.rows(c, ACTUAL).equals(shop.rows(c, EXPECTED)));
            assertThat(shop.db().queryForLong("SELECT count(*) FROM read_model.order_summary"
                    + " WHERE customer_id = 2 AND customer_name IS NULL")).isEqualTo(ordersOfCustomer2);
        }
    }
}
