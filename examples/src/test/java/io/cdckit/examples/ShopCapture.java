package io.cdckit.examples;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresServer;
import io.cdckit.testkit.TestDatabase;
import org.jdbi.v3.core.Jdbi;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.awaitility.Awaitility.await;

/**
 * Test support: the shop schema in a database of its own, captured by one strategy. Each example
 * test runs once per strategy ({@link EveryMode}), so that the examples are shown to work unchanged
 * whatever {@code cdc.mode} says.
 */
final class ShopCapture implements AutoCloseable {

    private final String mode;
    private final TestDatabase db;
    private ChangeSource source;

    /** A fresh database on {@code server} holding the shop schema, to be captured with {@code mode}. */
    ShopCapture(PostgresServer server, String mode) {
        this.mode = mode;
        this.db = server.createDatabase("shop_" + mode);
        EcommerceSchema.ddl().forEach(db::execute);
    }

    /**
     * Whether the strategy is timestamp polling, which sees less than the others: no before
     * image, updates between two polls collapse into the latest row, hard deletes show through
     * key reconciliation only, TRUNCATE not at all.
     */
    boolean polling() {
        return "timestamp".equals(mode);
    }

    /** The shop's database. */
    TestDatabase db() {
        return db;
    }

    /** Starts capturing the shop tables into {@code handler}, as source {@code name} (per mode). */
    ShopCapture start(String name, ChangeHandler handler) {
        Map<String, Object> props = new LinkedHashMap<>(db.cdcProperties());
        props.put("cdc.mode", mode);
        props.put("cdc.name", name + "_" + mode);
        props.put("cdc.snapshot.mode", "never");
        props.put("cdc.poll.interval", "20ms");
        if (polling()) {
            // reconcile keys at every poll, so hard deletes show within a poll or two
            props.put("cdc.timestamp.reconcile.every-polls", "1");
        }
        CdcConfig config = CdcConfig.builder().putAll(props)
                .tables(EcommerceSchema.tables().toArray(TableId[]::new)).build();
        source = ChangeSources.create(config);
        source.start(handler);
        return this;
    }

    /** Runs the shop workload. */
    ShopWorkload.Summary runWorkload(int customers, int orders) throws Exception {
        return new ShopWorkload(db::connect, customers, orders, 42, step -> { }).run();
    }

    /** Runs the statements in one transaction. */
    void inOneTransaction(String... sql) {
        Jdbi.create(db::connect).useTransaction(h -> {
            for (String s : sql) {
                h.execute(s);
            }
        });
    }

    /** Waits until {@code condition} holds, failing early if the source failed. */
    void awaitUntil(Callable<Boolean> condition) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (source.status().state() == SourceStatus.State.FAILED) {
                throw new AssertionError("source failed", source.status().failure());
            }
            return condition.call();
        });
    }

    /** Rows of a query as lists of column values, for comparisons. */
    List<List<Object>> rows(Connection c, String sql) throws SQLException {
        List<List<Object>> out = new ArrayList<>();
        try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    Object v = rs.getObject(i);
                    row.add(v instanceof BigDecimal d ? d.stripTrailingZeros().toPlainString()
                            : v == null ? null : v.toString());
                }
                out.add(row);
            }
        }
        return out;
    }

    /** Stops the capture and drops the database. */
    @Override
    public void close() {
        try {
            if (source != null) {
                source.close();
            }
        } finally {
            db.drop();
        }
    }
}
