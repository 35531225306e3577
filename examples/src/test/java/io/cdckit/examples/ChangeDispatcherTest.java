package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class ChangeDispatcherTest {

    @Test
    void eachOperationReachesItsMethodForItsTable(TestDatabase db) throws Exception {
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        ChangeDispatcher dispatcher = ChangeDispatcher.builder()
                .on("public.orders", new ChangeDispatcher.RowListener() {
                    @Override
                    public void inserted(ChangeEvent e) {
                        calls.add("orders inserted " + e.key().get("id"));
                    }

                    @Override
                    public void updated(ChangeEvent e) {
                        calls.add("orders updated " + e.key().get("id") + " " + e.before().get("status") + "->"
                                + e.after().get("status"));
                    }

                    @Override
                    public void deleted(ChangeEvent e) {
                        calls.add("orders deleted " + e.key().get("id"));
                    }

                    @Override
                    public void truncated(ChangeEvent e) {
                        calls.add("orders truncated");
                    }
                })
                .on("public.customers", new ChangeDispatcher.RowListener() {
                    @Override
                    public void inserted(ChangeEvent e) {
                        calls.add("customers inserted " + e.key().get("id"));
                    }
                })
                .build();
        try (ShopCapture shop = new ShopCapture(db)) {
            shop.start("dispatch", dispatcher);
            db.execute("INSERT INTO public.customers (id, name, email) VALUES (1, 'Ada', 'ada@example.com')",
                    "INSERT INTO public.products (id, name, price, stock) VALUES (1, 'Pen', 1.50, 10)",
                    "INSERT INTO public.orders (id, customer_id, total_amount) VALUES (10, 1, 3.00)",
                    "UPDATE public.orders SET status = 'paid' WHERE id = 10",
                    "UPDATE public.customers SET name = 'Ada L.' WHERE id = 1",
                    "DELETE FROM public.orders WHERE id = 10",
                    "TRUNCATE public.orders");
            shop.awaitUntil(() -> calls.contains("orders truncated"));
        }
        assertThat(calls).containsExactly("customers inserted 1", "orders inserted 10",
                "orders updated 10 pending->paid", "orders deleted 10", "orders truncated");
    }
}
