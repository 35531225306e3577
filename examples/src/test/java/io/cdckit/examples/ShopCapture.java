package io.cdckit.examples;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.testkit.TestDatabase;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.awaitility.Awaitility.await;

/** Test support: the shop schema in a test database, captured by a real strategy. */
final class ShopCapture implements AutoCloseable {

    /** The strategy the examples are tested with. */
    static final String MODE = "log";

    private final TestDatabase db;
    private ChangeSource source;

    ShopCapture(TestDatabase db) {
        this.db = db;
        db.execute("DROP TABLE IF EXISTS public.customers, public.products, public.orders");
        EcommerceSchema.ddl().forEach(db::execute);
    }

    /** Starts capturing the shop tables into {@code handler}. */
    ShopCapture start(String name, ChangeHandler handler) {
        Map<String, Object> props = new LinkedHashMap<>(db.cdcProperties());
        props.put("cdc.mode", MODE);
        props.put("cdc.name", name);
        props.put("cdc.snapshot.mode", "never");
        props.put("cdc.poll.interval", "20ms");
        CdcConfig config = CdcConfig.builder().putAll(props)
                .tables(EcommerceSchema.tables().toArray(io.cdckit.api.TableId[]::new)).build();
        source = ChangeSources.create(config);
        source.start(handler);
        return this;
    }

    /** Runs the shop workload. */
    ShopWorkload.Summary runWorkload(int customers, int orders) throws Exception {
        Callable<java.sql.Connection> connections = db::connect;
        return new ShopWorkload(connections, customers, orders, 42, step -> { }).run();
    }

    /** Waits until {@code condition} holds, failing early if the source failed. */
    void awaitUntil(Callable<Boolean> condition) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (source.status().state() == io.cdckit.api.SourceStatus.State.FAILED) {
                throw new AssertionError("source failed", source.status().failure());
            }
            return condition.call();
        });
    }

    /** Rows of a query as lists of column values, for comparisons. */
    List<List<Object>> rows(java.sql.Connection c, String sql) throws java.sql.SQLException {
        List<List<Object>> out = new java.util.ArrayList<>();
        try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new java.util.ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    Object v = rs.getObject(i);
                    row.add(v instanceof java.math.BigDecimal d ? d.stripTrailingZeros().toPlainString()
                            : v == null ? null : v.toString());
                }
                out.add(row);
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (source != null) {
            source.close();
        }
    }
}
