package io.cdckit.examples;

import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

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

    @Test
    void revenueCountsAndCustomerTotalsFollowInsertsUpdatesAndDeletes(TestDatabase db) throws Exception {
        OrderAnalytics analytics = new OrderAnalytics(EcommerceSchema.ORDERS);
        try (ShopCapture shop = new ShopCapture(db); Connection c = db.connect()) {
            shop.start("analytics", batch -> {
                analytics.handle(batch);
                analytics.handle(batch); // a repeated delivery changes nothing
            });
            shop.runWorkload(10, 40);
            shop.awaitUntil(() -> same(analytics.totals(), fromSource(c)));
            assertThat(same(analytics.totals(), fromSource(c))).isTrue();
            assertThat(analytics.totals().customerTotals()).isNotEmpty();
        }
    }
}
