package io.cdckit.examples;

import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class WarehouseSinkTest {

    private static final String SOURCE_ORDERS =
            "SELECT id, customer_id, total_amount, status FROM public.orders ORDER BY id";

    private static WarehouseSink.Table ordersTable(String target) {
        return new WarehouseSink.Table(EcommerceSchema.ORDERS, target, List.of("id"),
                Map.of("id", "BIGINT", "customer_id", "BIGINT", "total_amount", "DECIMAL(12,2)",
                        "status", "VARCHAR", "created_at", "TIMESTAMP"));
    }

    private static void check(ShopCapture shop, Connection source, WarehouseSink warehouse, String target,
                              ShopWorkload.Summary summary) throws Exception {
        String live = "SELECT id, customer_id, total_amount, status FROM " + target
                + " WHERE NOT _cdc_deleted ORDER BY id";
        shop.awaitUntil(() -> warehouse.query(c -> shop.rows(c, live)).equals(shop.rows(source, SOURCE_ORDERS)));
        List<List<Object>> rows = warehouse.query(c -> shop.rows(c, live));
        assertThat(rows).isEqualTo(shop.rows(source, SOURCE_ORDERS));
        List<List<Object>> deleted = warehouse.query(c -> shop.rows(c, "SELECT id, _cdc_operation FROM " + target
                + " WHERE _cdc_deleted ORDER BY id"));
        assertThat(deleted).hasSize(summary.deletes()).allMatch(r -> r.get(1).equals("d"));
        assertThat(shop.rows(source, "SELECT count(*) FROM public.orders WHERE id IN (SELECT unnest(ARRAY["
                + String.join(",", deleted.stream().map(r -> r.get(0).toString()).toList()) + "]::bigint[]))"))
                .containsExactly(List.of("0"));
    }

    @Test
    void duckDbWarehouseEqualsTheSourceDespiteDuplicateDeliveries(TestDatabase db) throws Exception {
        try (ShopCapture shop = new ShopCapture(db);
             WarehouseSink sink = WarehouseSink.duckdb(":memory:", List.of(ordersTable("orders_cdc")));
             Connection source = db.connect()) {
            // every batch is delivered twice: the warehouse must not change the second time
            shop.start("warehouse-duckdb", batch -> {
                sink.handle(batch);
                sink.handle(batch);
            });
            ShopWorkload.Summary summary = shop.runWorkload(8, 30);
            check(shop, source, sink, "orders_cdc", summary);
        }
    }

    @Test
    void postgresWarehouseWorksTheSameWay(TestDatabase db) throws Exception {
        db.execute("CREATE SCHEMA IF NOT EXISTS warehouse");
        Connection target = db.connect();
        target.createStatement().execute("SET search_path = warehouse");
        try (ShopCapture shop = new ShopCapture(db);
             WarehouseSink sink = WarehouseSink.jdbc(target, List.of(ordersTable("orders_cdc")));
             Connection source = db.connect()) {
            shop.start("warehouse-postgres", sink);
            ShopWorkload.Summary summary = shop.runWorkload(6, 20);
            check(shop, source, sink, "warehouse.orders_cdc", summary);
        }
    }
}
