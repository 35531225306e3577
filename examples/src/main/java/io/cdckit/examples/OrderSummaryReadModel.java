package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;

/**
 * A CQRS read model: a denormalised {@code order_summary} (order id, customer id, amount,
 * status, customer name and segment) kept in a query store from the change streams of
 * {@code customers} and {@code orders}, without querying the source database.
 *
 * <p>It keeps its own copy of the customer fields it needs ({@code customer_view}), so that an
 * order gets its customer's name when it arrives, and every summary of a customer is updated
 * when the customer's row changes. Each batch is one transaction of the query store; statements
 * are upserts and keyed deletes, so a repeated delivery changes nothing. They bind the changed
 * row's columns by name ({@code :id}, {@code :status}, ...), never concatenate a value.
 */
public final class OrderSummaryReadModel implements ChangeHandler, AutoCloseable {

    private final Handle store;
    private final TableId customers;
    private final TableId orders;
    private final String customerView;
    private final String summary;

    /**
     * A read model in schema {@code schema} of {@code store} (PostgreSQL or DuckDB), fed by the
     * changes of {@code customers} (id, name, segment) and {@code orders} (id, customer_id,
     * total_amount, status). The store's tables are created if missing; the read model owns the
     * connection from now on.
     */
    public OrderSummaryReadModel(Connection store, String schema, TableId customers, TableId orders)
            throws SQLException {
        Objects.requireNonNull(store, "store");
        this.customers = Objects.requireNonNull(customers, "customers");
        this.orders = Objects.requireNonNull(orders, "orders");
        this.customerView = TableId.quote(schema) + ".\"customer_view\"";
        this.summary = TableId.quote(schema) + ".\"order_summary\"";
        // autocommit between batches: each batch is one transaction, nothing stays open in between
        store.setAutoCommit(true);
        this.store = Jdbi.open(store);
        this.store.useTransaction(h -> {
            h.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema));
            h.execute("CREATE TABLE IF NOT EXISTS " + customerView
                    + " (customer_id BIGINT PRIMARY KEY, name VARCHAR, segment VARCHAR)");
            h.execute("CREATE TABLE IF NOT EXISTS " + summary + " (order_id BIGINT PRIMARY KEY, customer_id BIGINT,"
                    + " total_amount DECIMAL(12,2), status VARCHAR, customer_name VARCHAR, customer_segment VARCHAR)");
        });
    }

    @Override
    public synchronized void handle(List<ChangeEvent> events) {
        store.useTransaction(h -> {
            for (ChangeEvent e : events) {
                if (customers.equals(e.table())) {
                    customer(h, e);
                } else if (orders.equals(e.table())) {
                    order(h, e);
                }
            }
        });
    }

    private void customer(Handle h, ChangeEvent e) {
        switch (e.op()) {
            case CREATE, UPDATE, READ -> {
                h.createUpdate("INSERT INTO " + customerView + " (customer_id, name, segment)"
                                + " VALUES (:id, :name, :segment) ON CONFLICT (customer_id)"
                                + " DO UPDATE SET name = excluded.name, segment = excluded.segment")
                        .bindMap(e.after()).execute();
                h.createUpdate("UPDATE " + summary + " SET customer_name = :name, customer_segment = :segment"
                                + " WHERE customer_id = :id")
                        .bindMap(e.after()).execute();
            }
            case DELETE -> {
                h.createUpdate("DELETE FROM " + customerView + " WHERE customer_id = :id")
                        .bindMap(e.key()).execute();
                h.createUpdate("UPDATE " + summary + " SET customer_name = NULL, customer_segment = NULL"
                                + " WHERE customer_id = :id")
                        .bindMap(e.key()).execute();
            }
            case TRUNCATE -> {
                h.execute("DELETE FROM " + customerView);
                h.execute("UPDATE " + summary + " SET customer_name = NULL, customer_segment = NULL");
            }
        }
    }

    private void order(Handle h, ChangeEvent e) {
        switch (e.op()) {
            case CREATE, UPDATE, READ -> h.createUpdate("INSERT INTO " + summary
                            + " (order_id, customer_id, total_amount, status, customer_name, customer_segment)"
                            + " VALUES (:id, :customer_id, :total_amount, :status,"
                            + " (SELECT name FROM " + customerView + " WHERE customer_id = :customer_id),"
                            + " (SELECT segment FROM " + customerView + " WHERE customer_id = :customer_id))"
                            + " ON CONFLICT (order_id) DO UPDATE SET customer_id = excluded.customer_id,"
                            + " total_amount = excluded.total_amount, status = excluded.status,"
                            + " customer_name = excluded.customer_name, customer_segment = excluded.customer_segment")
                    .bindMap(e.after()).execute();
            case DELETE -> h.createUpdate("DELETE FROM " + summary + " WHERE order_id = :id")
                    .bindMap(e.key()).execute();
            case TRUNCATE -> h.execute("DELETE FROM " + summary);
        }
    }

    /** Closes the read model and its connection, once the batch being applied (if any) is done. */
    @Override
    public synchronized void close() {
        store.close();
    }
}
