package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.PostgresTest;
import org.jdbi.v3.core.Jdbi;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

@PostgresTest
class OrderAnalyticsTest {

    /** The same figures computed by the database from the source table. */
    private static OrderAnalytics.Totals fromSource(Connection c) throws Exception {
        Map<LocalDate, BigDecimal> revenue = new TreeMap<>();
        Map<LocalDate, Long> counts = new TreeMap<>();
        Map<Object, BigDecimal> customers = new HashMap<>();
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT (created_at AT TIME ZONE 'UTC')::date, sum(total_amount),"
                    + " count(*) FROM public.orders GROUP BY 1")) {
                while (rs.next()) {
                    revenue.put(rs.getObject(1, LocalDate.class), rs.getBigDecimal(2));
                    counts.put(rs.getObject(1, LocalDate.class), rs.getLong(3));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT customer_id, sum(total_amount) FROM public.orders GROUP BY 1")) {
                while (rs.next()) {
                    customers.put(rs.getLong(1), rs.getBigDecimal(2));
                }
            }
        }
        return new OrderAnalytics.Totals(revenue, counts, customers);
    }

    private static boolean same(OrderAnalytics.Totals a, OrderAnalytics.Totals b) {
        return a.dailyOrders().equals(b.dailyOrders()) && sameAmounts(a.dailyRevenue(), b.dailyRevenue())
                && sameAmounts(a.customerTotals(), b.customerTotals());
    }

    private static <K> boolean sameAmounts(Map<K, BigDecimal> a, Map<K, BigDecimal> b) {
        return a.keySet().equals(b.keySet()) && a.keySet().stream().allMatch(k -> a.get(k).compareTo(b.get(k)) == 0);
    }

    @EveryMode
    void revenueCountsAndCustomerTotalsFollowInsertsUpdatesAndDeletes(String mode, PostgresServer server)
            throws Exception {
        OrderAnalytics analytics = new OrderAnalytics(EcommerceSchema.ORDERS);
        CapturedEvents seen = new CapturedEvents();
        try (ShopCapture shop = new ShopCapture(server, mode); Connection c = shop.db().connect()) {
            shop.start("analytics", batch -> {
                seen.handle(batch);
                analytics.handle(batch);
                analytics.handle(batch); // a repeated delivery changes nothing
            });
            ShopWorkload.Summary summary = shop.runWorkload(10, 40);
            shop.awaitUntil(() -> same(analytics.totals(), fromSource(c)));
            assertThat(same(analytics.totals(), fromSource(c))).isTrue();
            assertThat(analytics.totals().customerTotals()).isNotEmpty();

            List<ChangeEvent> orderEvents = seen.events(e -> e.table().equals(EcommerceSchema.ORDERS));
            if (shop.polling()) {
                // The workload's long transaction held the watermark back until it committed, last: by
                // then each order's updates had collapsed into its latest row and the deleted orders were
                // gone. Every remaining order arrived once, as an insert, and the figures are still right.
                List<Long> remaining = Jdbi.create(c).withHandle(h ->
                        h.createQuery("SELECT id FROM public.orders").mapTo(Long.class).list());
                assertThat(orderEvents).extracting(e -> e.key().get("id"))
                        .containsExactlyInAnyOrderElementsOf(remaining);
                assertThat(orderEvents).extracting(ChangeEvent::op).containsOnly(Op.CREATE);
            } else {
                // every insert, update and delete the workload made arrived, each once
                Map<Op, Long> ops = seen.events().stream()
                        .collect(Collectors.groupingBy(ChangeEvent::op, Collectors.counting()));
                assertThat(ops).isEqualTo(Map.of(Op.CREATE, (long) summary.inserts(),
                        Op.UPDATE, (long) summary.updates(), Op.DELETE, (long) summary.deletes()));
            }
        }
    }
}
