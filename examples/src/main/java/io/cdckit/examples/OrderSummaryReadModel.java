package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A CQRS read model: a denormalised {@code order_summary} (order id, customer id, amount,
 * status, customer name and segment) kept in a query store from the change streams of
 * {@code customers} and {@code orders}, without querying the source database.
 *
 * <p>It keeps its own copy of the customer fields it needs ({@code customer_view}), so that an
 * order gets its customer's name when it arrives, and every summary of a customer is updated
 * when the customer's row changes. Each batch is one transaction of the query store; statements
 * are upserts and keyed deletes, so a repeated delivery changes nothing.
 */
public final class OrderSummaryReadModel implements ChangeHandler, AutoCloseable {

    private final Connection store;
    private final TableId customers;
    private final TableId orders;
    private final String customerView;
    private final String summary;

    /**
     * A read model in schema {@code schema} of {@code store} (PostgreSQL or DuckDB), fed by the
     * changes of {@code customers} (id, name, segment) and {@code orders} (id, customer_id,
     * total_amount, status). The store's tables are created if missing.
     */
    public OrderSummaryReadModel(Connection store, String schema, TableId customers, TableId orders)
            throws SQLException {
        this.store = Objects.requireNonNull(store, "store");
        this.customers = Objects.requireNonNull(customers, "customers");
        this.orders = Objects.requireNonNull(orders, "orders");
        this.customerView = TableId.quote(schema) + ".\"customer_view\"";
        this.summary = TableId.quote(schema) + ".\"order_summary\"";
        store.setAutoCommit(false);
        try (Statement st = store.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema));
            st.execute("CREATE TABLE IF NOT EXISTS " + customerView
                    + " (customer_id BIGINT PRIMARY KEY, name VARCHAR, segment VARCHAR)");
            st.execute("CREATE TABLE IF NOT EXISTS " + summary + " (order_id BIGINT PRIMARY KEY, customer_id BIGINT,"
                    + " total_amount DECIMAL(12,2), status VARCHAR, customer_name VARCHAR, customer_segment VARCHAR)");
        }
        store.commit();
    }

    @Override
    public synchronized void handle(List<ChangeEvent> events) throws SQLException {
        try {
            for (ChangeEvent e : events) {
                if (customers.equals(e.table())) {
                    customer(e);
                } else if (orders.equals(e.table())) {
                    order(e);
                }
            }
            store.commit();
        } catch (SQLException | RuntimeException ex) {
            store.rollback();
            throw ex;
        }
    }

    private void customer(ChangeEvent e) throws SQLException {
        switch (e.op()) {
            case CREATE, UPDATE, READ -> {
                Map<String, Object> c = e.after();
                update("INSERT INTO " + customerView + " (customer_id, name, segment) VALUES (?, ?, ?) "
                        + "ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, segment = excluded.segment",
                        id(c.get("id")), c.get("name"), c.get("segment"));
                update("UPDATE " + summary + " SET customer_name = ?, customer_segment = ? WHERE customer_id = ?",
                        c.get("name"), c.get("segment"), id(c.get("id")));
            }
            case DELETE -> {
                update("DELETE FROM " + customerView + " WHERE customer_id = ?", id(e.key().get("id")));
                update("UPDATE " + summary + " SET customer_name = NULL, customer_segment = NULL WHERE customer_id = ?",
                        id(e.key().get("id")));
            }
            case TRUNCATE -> {
                update("DELETE FROM " + customerView);
                update("UPDATE " + summary + " SET customer_name = NULL, customer_segment = NULL");
            }
        }
    }

    private void order(ChangeEvent e) throws SQLException {
        switch (e.op()) {
            case CREATE, UPDATE, READ -> {
                Map<String, Object> o = e.after();
                Long customer = id(o.get("customer_id"));
                update("INSERT INTO " + summary + " (order_id, customer_id, total_amount, status, customer_name,"
                        + " customer_segment) VALUES (?, ?, ?, ?, (SELECT name FROM " + customerView
                        + " WHERE customer_id = ?), (SELECT segment FROM " + customerView + " WHERE customer_id = ?))"
                        + " ON CONFLICT (order_id) DO UPDATE SET customer_id = excluded.customer_id,"
                        + " total_amount = excluded.total_amount, status = excluded.status,"
                        + " customer_name = excluded.customer_name, customer_segment = excluded.customer_segment",
                        id(o.get("id")), customer, (BigDecimal) o.get("total_amount"), o.get("status"), customer,
                        customer);
            }
            case DELETE -> update("DELETE FROM " + summary + " WHERE order_id = ?", id(e.key().get("id")));
            case TRUNCATE -> update("DELETE FROM " + summary);
        }
    }

    private static Long id(Object v) {
        return v == null ? null : ((Number) v).longValue();
    }

    private void update(String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = store.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        }
    }

    @Override
    public void close() throws SQLException {
        store.close();
    }
}
