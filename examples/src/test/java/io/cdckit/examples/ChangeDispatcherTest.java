package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class ChangeDispatcherTest {

    @EveryMode
    void eachOperationReachesItsMethodForItsTable(String mode, PostgresServer server) {
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        ChangeDispatcher dispatcher = ChangeDispatcher.builder()
                .on("public.orders", new ChangeDispatcher.RowListener() {
                    @Override
                    public void inserted(ChangeEvent e) {
                        calls.add("orders inserted " + e.key().get("id"));
                    }

                    @Override
                    public void updated(ChangeEvent e) {
                        Object from = e.before() == null ? "(no before image)" : e.before().get("status");
                        calls.add("orders updated " + e.key().get("id") + " " + from + "->" + e.after().get("status"));
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
        try (ShopCapture shop = new ShopCapture(server, mode)) {
            TestDatabase db = shop.db();
            shop.start("dispatch", dispatcher);
            // one step at a time, each seen before the next: a poll sees only the latest state of a row
            db.execute("INSERT INTO public.customers (id, name, email) VALUES (1, 'Ada', 'ada@example.com')",
                    "INSERT INTO public.products (id, name, price, stock) VALUES (1, 'Pen', 1.50, 10)",
                    "INSERT INTO public.orders (id, customer_id, total_amount) VALUES (10, 1, 3.00)",
                    "INSERT INTO public.orders (id, customer_id, total_amount) VALUES (11, 1, 4.00)");
            shop.awaitUntil(() -> calls.contains("orders inserted 11"));
            db.execute("UPDATE public.orders SET status = 'paid', updated_at = clock_timestamp() WHERE id = 10",
                    "UPDATE public.customers SET name = 'Ada L.', updated_at = clock_timestamp() WHERE id = 1");
            shop.awaitUntil(() -> calls.stream().anyMatch(c -> c.startsWith("orders updated 10")));
            db.execute("DELETE FROM public.orders WHERE id = 10");
            shop.awaitUntil(() -> calls.contains("orders deleted 10"));
            db.execute("TRUNCATE public.orders");
            shop.awaitUntil(() -> calls.size() >= 6);

            if (shop.polling()) {
                // a poll reads table by table: commit order holds within a table, not across tables
                assertThat(calls.subList(0, 3)).containsExactlyInAnyOrder("customers inserted 1",
                        "orders inserted 10", "orders inserted 11");
                assertThat(calls).containsSubsequence("orders inserted 10", "orders inserted 11");
                // no before image; TRUNCATE is not seen as such, key reconciliation finds the row it removed
                assertThat(calls.subList(3, calls.size())).containsExactly("orders updated 10 (no before image)->paid",
                        "orders deleted 10", "orders deleted 11");
            } else {
                assertThat(calls).containsExactly("customers inserted 1", "orders inserted 10", "orders inserted 11",
                        "orders updated 10 pending->paid", "orders deleted 10", "orders truncated");
            }
        }
    }
}
