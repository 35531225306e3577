package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Keeps tables of an analytics store in sync with captured tables: upserts new and changed rows
 * and soft-deletes removed ones, recording {@code _cdc_deleted}, {@code _cdc_timestamp} (commit
 * time where the strategy knows it, else processing time, UTC) and {@code _cdc_operation}.
 *
 * <p>Embedded DuckDB is the default warehouse ({@link #duckdb}); any JDBC database that speaks
 * {@code INSERT ... ON CONFLICT ... DO UPDATE}, such as PostgreSQL, works through
 * {@link #jdbc}. Every value is a bound parameter cast to the declared column type; identifiers
 * are quoted. A batch is applied in one transaction, and applying an event again changes
 * nothing, so at-least-once delivery leaves the warehouse right.
 */
public final class WarehouseSink implements ChangeHandler, AutoCloseable {

    /**
     * How one captured table maps to a warehouse table.
     *
     * @param source  the captured table
     * @param target  the warehouse table's name (created if missing)
     * @param key     the key columns
     * @param columns the columns to keep, name to warehouse SQL type (e.g. {@code DECIMAL(12,2)}),
     *                in order; other source columns are left out
     */
    public record Table(TableId source, String target, List<String> key, Map<String, String> columns) {
        /** Checks the mapping and freezes it. */
        public Table {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
            key = List.copyOf(key);
            columns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columns));
            if (key.isEmpty() || !columns.keySet().containsAll(key)) {
                throw new IllegalArgumentException("warehouse table " + target + ": the key " + key
                        + " must be non-empty and among the columns " + columns.keySet());
            }
        }
    }

    private final Connection connection;
    private final Map<TableId, Table> tables = new HashMap<>();
    private final Map<TableId, String> upserts = new HashMap<>();
    private final Map<TableId, String> deletes = new HashMap<>();

    private WarehouseSink(Connection connection, List<Table> tables) throws SQLException {
        this.connection = connection;
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            for (Table t : tables) {
                this.tables.put(t.source(), t);
                st.execute(createTable(t));
                upserts.put(t.source(), upsert(t));
                deletes.put(t.source(), softDelete(t));
            }
        }
        connection.commit();
    }

    /** A sink into an embedded DuckDB file ({@code ":memory:"} for an in-memory database). */
    public static WarehouseSink duckdb(String file, List<Table> tables) throws SQLException {
        return new WarehouseSink(DriverManager.getConnection("jdbc:duckdb:" + (file.equals(":memory:") ? "" : file)),
                tables);
    }

    /** A sink over a connection the sink then owns (PostgreSQL, DuckDB, ...). */
    public static WarehouseSink jdbc(Connection connection, List<Table> tables) throws SQLException {
        return new WarehouseSink(connection, tables);
    }

    /** Reads from the warehouse, never in the middle of a batch being applied. */
    public synchronized <T> T query(Query<T> query) throws SQLException {
        return query.run(connection);
    }

    /**
     * A read of the warehouse. JDBC connections (DuckDB's in particular) are not safe for
     * concurrent use, so reads go through the sink, which serialises them with the writes.
     *
     * @param <T> what the read returns
     */
    @FunctionalInterface
    public interface Query<T> {
        /** Runs the read on the sink's connection. */
        T run(Connection connection) throws SQLException;
    }

    @Override
    public synchronized void handle(List<ChangeEvent> events) throws SQLException {
        try {
            for (ChangeEvent e : events) {
                Table t = tables.get(e.table());
                if (t != null) {
                    apply(t, e);
                }
            }
            connection.commit();
        } catch (SQLException | RuntimeException ex) {
            connection.rollback();
            throw ex;
        }
    }

    private void apply(Table t, ChangeEvent e) throws SQLException {
        LocalDateTime at = LocalDateTime.ofInstant(Instant.ofEpochMilli(
                e.source().tsMs() != null ? e.source().tsMs() : e.tsMs()), ZoneOffset.UTC);
        switch (e.op()) {
            case CREATE, UPDATE, READ -> {
                try (PreparedStatement ps = connection.prepareStatement(upserts.get(t.source()))) {
                    int i = 1;
                    for (Map.Entry<String, String> c : t.columns().entrySet()) {
                        bind(ps, i++, e.after().get(c.getKey()), c.getValue());
                    }
                    ps.setBoolean(i++, false);
                    ps.setString(i++, at.toString());
                    ps.setString(i, e.op().code());
                    ps.executeUpdate();
                }
            }
            case DELETE -> {
                try (PreparedStatement ps = connection.prepareStatement(deletes.get(t.source()))) {
                    int i = 1;
                    for (String k : t.key()) {
                        bind(ps, i++, e.key().get(k), t.columns().get(k));
                    }
                    ps.setString(i++, at.toString());
                    ps.executeUpdate();
                }
            }
            case TRUNCATE -> {
                try (PreparedStatement ps = connection.prepareStatement("UPDATE " + TableId.quote(t.target())
                        + " SET \"_cdc_deleted\" = true, \"_cdc_timestamp\" = CAST(? AS TIMESTAMP),"
                        + " \"_cdc_operation\" = 't' WHERE NOT \"_cdc_deleted\"")) {
                    ps.setString(1, at.toString());
                    ps.executeUpdate();
                }
            }
        }
    }

    private static void bind(PreparedStatement ps, int i, Object v, String type) throws SQLException {
        if (v == null) {
            ps.setNull(i, java.sql.Types.NULL);
        } else if (v instanceof Number && !(v instanceof BigDecimal)) {
            ps.setObject(i, v);
        } else if (v instanceof BigDecimal d) {
            ps.setBigDecimal(i, d);
        } else if (v instanceof Boolean b) {
            ps.setBoolean(i, b);
        } else if (v instanceof byte[] bytes) {
            ps.setBytes(i, bytes);
        } else if (v instanceof Instant instant && !type.toUpperCase(Locale.ROOT).contains("TIMESTAMPTZ")
                && !type.toUpperCase(Locale.ROOT).contains("TIME ZONE")) {
            ps.setString(i, LocalDateTime.ofInstant(instant, ZoneOffset.UTC).toString());
        } else {
            ps.setString(i, v.toString());
        }
    }

    private static String createTable(Table t) {
        String cols = t.columns().entrySet().stream().map(c -> TableId.quote(c.getKey()) + " " + c.getValue())
                .collect(Collectors.joining(", "));
        return "CREATE TABLE IF NOT EXISTS " + TableId.quote(t.target()) + " (" + cols
                + ", \"_cdc_deleted\" BOOLEAN NOT NULL, \"_cdc_timestamp\" TIMESTAMP NOT NULL,"
                + " \"_cdc_operation\" VARCHAR(1) NOT NULL, PRIMARY KEY (" + quotedList(t.key()) + "))";
    }

    private static String upsert(Table t) {
        List<String> cols = new ArrayList<>(t.columns().keySet());
        String params = t.columns().values().stream().map(type -> "CAST(? AS " + type + ")")
                .collect(Collectors.joining(", "));
        List<String> updates = new ArrayList<>();
        for (String c : cols) {
            if (!t.key().contains(c)) {
                updates.add(TableId.quote(c) + " = excluded." + TableId.quote(c));
            }
        }
        updates.add("\"_cdc_deleted\" = excluded.\"_cdc_deleted\"");
        updates.add("\"_cdc_timestamp\" = excluded.\"_cdc_timestamp\"");
        updates.add("\"_cdc_operation\" = excluded.\"_cdc_operation\"");
        return "INSERT INTO " + TableId.quote(t.target()) + " (" + quotedList(cols)
                + ", \"_cdc_deleted\", \"_cdc_timestamp\", \"_cdc_operation\") VALUES (" + params
                + ", ?, CAST(? AS TIMESTAMP), ?) ON CONFLICT (" + quotedList(t.key()) + ") DO UPDATE SET "
                + String.join(", ", updates);
    }

    private static String softDelete(Table t) {
        String params = t.key().stream().map(k -> "CAST(? AS " + t.columns().get(k) + ")")
                .collect(Collectors.joining(", "));
        return "INSERT INTO " + TableId.quote(t.target()) + " (" + quotedList(t.key())
                + ", \"_cdc_deleted\", \"_cdc_timestamp\", \"_cdc_operation\") VALUES (" + params
                + ", true, CAST(? AS TIMESTAMP), 'd') ON CONFLICT (" + quotedList(t.key()) + ") DO UPDATE SET "
                + "\"_cdc_deleted\" = true, \"_cdc_timestamp\" = excluded.\"_cdc_timestamp\", "
                + "\"_cdc_operation\" = 'd'";
    }

    private static String quotedList(List<String> names) {
        return names.stream().map(TableId::quote).collect(Collectors.joining(", "));
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
