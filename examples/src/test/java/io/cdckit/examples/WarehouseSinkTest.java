package io.cdckit.examples;

import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.PostgresTest;
import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.SQLException;
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

    private static List<List<Object>> inWarehouse(ShopCapture shop, WarehouseSink warehouse, String sql)
            throws SQLException {
        return warehouse.query(c -> shop.rows(c, sql));
    }

    private static void check(ShopCapture shop, Connection source, WarehouseSink warehouse, String target,
                              ShopWorkload.Summary summary) throws Exception {
        String live = "SELECT id, customer_id, total_amount, status FROM " + target
                + " WHERE NOT _cdc_deleted ORDER BY id";
        String deleted = "SELECT id, _cdc_operation FROM " + target + " WHERE _cdc_deleted ORDER BY id";
        shop.awaitUntil(() -> inWarehouse(shop, warehouse, live).equals(shop.rows(source, SOURCE_ORDERS)));
        assertThat(inWarehouse(shop, warehouse, live)).isEqualTo(shop.rows(source, SOURCE_ORDERS));
        if (shop.polling()) {
            // the workload deleted orders while its long transaction held the watermark back: they were
            // gone before a poll could see them, so the warehouse never had them
            assertThat(inWarehouse(shop, warehouse, deleted)).isEmpty();
        } else {
            assertThat(inWarehouse(shop, warehouse, deleted)).hasSize(summary.deletes());
        }

        // a row the warehouse has is deleted: every strategy soft-deletes it (timestamp polling by key reconciliation)
        String gone = inWarehouse(shop, warehouse, live).get(0).get(0).toString();
        Jdbi.create(source).useHandle(h -> h.execute("DELETE FROM public.orders WHERE id = ?", Long.parseLong(gone)));
        shop.awaitUntil(() -> inWarehouse(shop, warehouse, deleted).contains(List.of(gone, "d")));
        assertThat(inWarehouse(shop, warehouse, live)).isEqualTo(shop.rows(source, SOURCE_ORDERS));
        assertThat(inWarehouse(shop, warehouse, deleted)).hasSize(shop.polling() ? 1 : summary.deletes() + 1)
                .allMatch(r -> r.get(1).equals("d"))
                .extracting(r -> r.get(0)).doesNotContainAnyElementsOf(
                        shop.rows(source, "SELECT id FROM public.orders").stream().map(r -> r.get(0)).toList());
    }

    @EveryMode
    void duckDbWarehouseEqualsTheSourceDespiteDuplicateDeliveries(String mode, PostgresServer server) throws Exception {
        try (ShopCapture shop = new ShopCapture(server, mode);
             WarehouseSink sink = WarehouseSink.duckdb(":memory:", List.of(ordersTable("orders_cdc")));
             Connection source = shop.db().connect()) {
            // every batch is delivered twice: the warehouse must not change the second time
            shop.start("warehouse-duckdb", batch -> {
                sink.handle(batch);
                sink.handle(batch);
            });
            ShopWorkload.Summary summary = shop.runWorkload(8, 30);
            check(shop, source, sink, "orders_cdc", summary);
        }
    }

    @EveryMode
    void postgresWarehouseWorksTheSameWay(String mode, PostgresServer server) throws Exception {
        try (ShopCapture shop = new ShopCapture(server, mode);
             WarehouseSink sink = WarehouseSink.jdbc(warehouseConnection(shop), List.of(ordersTable("orders_cdc")));
             Connection source = shop.db().connect()) {
            shop.start("warehouse-postgres", sink);
            ShopWorkload.Summary summary = shop.runWorkload(6, 20);
            check(shop, source, sink, "warehouse.orders_cdc", summary);
        }
    }

    /** A connection to the shop's database working in its schema {@code warehouse}. */
    private static Connection warehouseConnection(ShopCapture shop) {
        shop.db().execute("CREATE SCHEMA warehouse");
        Connection target = shop.db().connect();
        Jdbi.create(target).useHandle(h -> h.execute("SET search_path = warehouse"));
        return target;
    }
}
