package io.cdckit.examples;

import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class OrderSummaryReadModelTest {

    private static final String EXPECTED = "SELECT o.id, o.customer_id, o.total_amount, o.status, c.name, c.segment"
            + " FROM public.orders o LEFT JOIN public.customers c ON c.id = o.customer_id ORDER BY o.id";
    private static final String ACTUAL = "SELECT order_id, customer_id, total_amount, status, customer_name,"
            + " customer_segment FROM read_model.order_summary ORDER BY order_id";

    @Test
    void summaryStaysRightWhenOrdersAndCustomersChange(TestDatabase db) throws Exception {
        try (ShopCapture shop = new ShopCapture(db);
             OrderSummaryReadModel model = new OrderSummaryReadModel(db.connect(), "read_model",
                     EcommerceSchema.CUSTOMERS, EcommerceSchema.ORDERS);
             Connection c = db.connect()) {
            shop.start("cqrs", model);
            shop.runWorkload(6, 25);
            shop.awaitUntil(() -> shop.rows(c, ACTUAL).equals(shop.rows(c, EXPECTED)));

            // the customer changes after her orders were summarised: every summary follows
            db.execute("UPDATE public.customers SET name = 'Renamed Again', segment = 'platinum' WHERE id = 2");
            shop.awaitUntil(() -> shop.rows(c, ACTUAL).equals(shop.rows(c, EXPECTED)));
            assertThat(shop.rows(c, ACTUAL)).isEqualTo(shop.rows(c, EXPECTED));
            assertThat(shop.rows(c, "SELECT count(*) FROM read_model.order_summary WHERE customer_name = 'Renamed Again'"))
                    .isEqualTo(shop.rows(c, "SELECT count(*) FROM public.orders WHERE customer_id = 2"));
        }
    }
}
