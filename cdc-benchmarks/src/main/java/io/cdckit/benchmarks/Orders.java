package io.cdckit.benchmarks;

import io.cdckit.testkit.PostgresFixture;
import io.cdckit.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The benchmark workload's table, an orders-like {@code public.orders} in a fresh database of the
 * testkit's server, and the writes the benchmarks make to it.
 */
final class Orders implements AutoCloseable {

    static final String TABLE = "public.orders";

    static final String INSERT = "INSERT INTO public.orders (id, customer_id, status, amount, note) VALUES (?, ?, ?, ?, ?)";
    static final String UPDATE = "UPDATE public.orders SET status = ?, amount = amount + 1, updated_at = now() WHERE id = ?";
    static final String DELETE = "DELETE FROM public.orders WHERE id = ?";
    private static final String BULK_INSERT = "INSERT INTO public.orders (id, customer_id, status, amount, note) "
            + "SELECT g, g % 1000, 'new', (g % 100000) / 100.0, 'order ' || g FROM generate_series(?::bigint, ?::bigint) g";

    private static final String[] STATUSES = {"new", "paid", "packed", "shipped", "delivered"};

    private final TestDatabase db;

    private Orders(TestDatabase db) {
        this.db = db;
    }

    /**
     * A fresh database with an empty orders table. The timestamp strategy also gets the index on
     * {@code (updated_at, id)} it asks for: that index is part of what it costs writers.
     */
    static Orders create(Strategy strategy) {
        TestDatabase db = PostgresFixture.server().createDatabase("bench_" + strategy.paramName());
        db.execute("""
                CREATE TABLE public.orders (
                  id          bigint PRIMARY KEY,
                  customer_id integer NOT NULL,
                  status      text NOT NULL,
                  amount      numeric(12,2) NOT NULL,
                  note        text,
                  created_at  timestamptz NOT NULL DEFAULT now(),
                  updated_at  timestamptz NOT NULL DEFAULT now()
                )""");
        if (strategy == Strategy.TIMESTAMP) {
            db.execute("CREATE INDEX orders_updated_at_id ON public.orders (updated_at, id)");
        }
        return new Orders(db);
    }

    TestDatabase database() {
        return db;
    }

    /** A new writer connection (autocommit on, batched inserts rewritten to multi-row statements). */
    Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        if (db.password() != null) {
            p.setProperty("password", db.password());
        }
        p.setProperty("reWriteBatchedInserts", "true");
        p.setProperty("ApplicationName", "cdckit-benchmark-writer");
        return java.sql.DriverManager.getConnection(db.jdbcUrl(), p);
    }

    /** Inserts rows {@code from..to} (inclusive) with server-side generated values, {@code perTx} rows per transaction. */
    static void bulkInsert(Connection c, long from, long to, int perTx) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(true);
        try (PreparedStatement ps = c.prepareStatement(BULK_INSERT)) {
            for (long lo = from; lo <= to; lo += perTx) {
                ps.setLong(1, lo);
                ps.setLong(2, Math.min(to, lo + perTx - 1));
                ps.executeUpdate();
            }
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Inserts rows {@code first..first+n-1} in one transaction, as one JDBC batch of {@code insert}. */
    static void insertBatch(Connection c, PreparedStatement insert, long first, int n) throws SQLException {
        c.setAutoCommit(false);
        for (int i = 0; i < n; i++) {
            bindInsert(insert, first + i);
            insert.addBatch();
        }
        insert.executeBatch();
        c.commit();
        c.setAutoCommit(true);
    }

    /**
     * Updates {@code n} consecutive rows of the first {@code tableRows} in one transaction, one
     * statement each in one JDBC batch of {@code update}; batch number {@code batch} picks the rows.
     */
    static void updateBatch(Connection c, PreparedStatement update, long batch, int tableRows, int n)
            throws SQLException {
        long first = 1 + (batch * n) % (tableRows - n);
        c.setAutoCommit(false);
        for (int i = 0; i < n; i++) {
            bindUpdate(update, first + i, batch);
            update.addBatch();
        }
        update.executeBatch();
        c.commit();
        c.setAutoCommit(true);
    }

    static void bindInsert(PreparedStatement ps, long id) throws SQLException {
        ps.setLong(1, id);
        ps.setInt(2, (int) (id % 1000));
        ps.setString(3, "new");
        ps.setBigDecimal(4, java.math.BigDecimal.valueOf(id % 100_000, 2));
        ps.setString(5, "order " + id);
    }

    static void bindUpdate(PreparedStatement ps, long id, long round) throws SQLException {
        ps.setString(1, STATUSES[(int) (round % STATUSES.length)]);
        ps.setLong(2, id);
    }

    @Override
    public void close() {
        db.drop();
    }
}
