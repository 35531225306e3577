package io.cdckit.examples;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
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
            columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
            if (key.isEmpty() || !columns.keySet().containsAll(key)) {
                throw new IllegalArgumentException("warehouse table " + target + ": the key " + key
                        + " must be non-empty and among the columns " + columns.keySet());
            }
        }
    }

    private final Handle warehouse;
    private final Map<TableId, Table> tables = new HashMap<>();
    private final Map<TableId, String> upserts = new HashMap<>();
    private final Map<TableId, String> deletes = new HashMap<>();

    private WarehouseSink(Connection connection, List<Table> tables) throws SQLException {
        // autocommit between batches: each batch is one transaction, and a read never holds one open
        connection.setAutoCommit(true);
        this.warehouse = Jdbi.open(connection);
        for (Table t : tables) {
            this.tables.put(t.source(), t);
            upserts.put(t.source(), upsert(t));
            deletes.put(t.source(), softDelete(t));
        }
        warehouse.useTransaction(h -> tables.forEach(t -> h.execute(createTable(t))));
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
        return query.run(warehouse.getConnection());
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
    public synchronized void handle(List<ChangeEvent> events) {
        warehouse.useTransaction(h -> {
            for (ChangeEvent e : events) {
                Table t = tables.get(e.table());
                if (t != null) {
                    apply(h, t, e);
                }
            }
        });
    }

    private void apply(Handle h, Table t, ChangeEvent e) {
        String at = LocalDateTime.ofInstant(Instant.ofEpochMilli(
                e.source().tsMs() != null ? e.source().tsMs() : e.tsMs()), ZoneOffset.UTC).toString();
        List<Object> args = new ArrayList<>();
        switch (e.op()) {
            case CREATE, UPDATE, READ -> {
                t.columns().forEach((column, type) -> args.add(parameter(e.after().get(column), type)));
                Collections.addAll(args, false, at, e.op().code());
                h.execute(upserts.get(t.source()), args.toArray());
            }
            case DELETE -> {
                t.key().forEach(k -> args.add(parameter(e.key().get(k), t.columns().get(k))));
                args.add(at);
                h.execute(deletes.get(t.source()), args.toArray());
            }
            case TRUNCATE -> h.execute("UPDATE " + TableId.quote(t.target())
                    + " SET \"_cdc_deleted\" = true, \"_cdc_timestamp\" = CAST(? AS TIMESTAMP),"
                    + " \"_cdc_operation\" = 't' WHERE NOT \"_cdc_deleted\"", at);
        }
    }

    /**
     * A column value as bound, for the statement to cast to the column's warehouse type: numbers,
     * booleans and bytes as they are, an instant as UTC date-time text unless the column keeps a
     * time zone, anything else as its text.
     */
    private static Object parameter(Object v, String type) {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof byte[]) {
            return v;
        }
        String upper = type.toUpperCase(Locale.ROOT);
        if (v instanceof Instant instant && !upper.contains("TIMESTAMPTZ") && !upper.contains("TIME ZONE")) {
            return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).toString();
        }
        return v.toString();
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

    /** Closes the sink and its connection, once the batch being applied (if any) is done. */
    @Override
    public synchronized void close() {
        warehouse.close();
    }
}
