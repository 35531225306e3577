package io.cdckit.testkit;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Replays change events into a copy of a source table and compares the copy with the source: the
 * proof that a strategy lost no change, invented none and kept each row's commit order.
 *
 * <p>{@link #create} makes the copy, an empty table with the source's name, columns, types,
 * defaults and primary key (no other constraints, no triggers) in {@code replicaSchema}, replacing
 * any table of that name there. {@link #apply} writes events into it; {@link #verify} compares it
 * with the source as it is now. Typical use: make changes to the source, capture them, apply the
 * captured events, then {@code assertThat(verifier.verify().matches()).as(v.describe()).isTrue()}.
 *
 * <p>The verifier holds one connection; it is not meant for use by several threads at once (its
 * methods are synchronized). Close it to release the connection; the replica table stays.
 */
public final class ReplicaVerifier implements AutoCloseable {

    private static final int MAX_DIFFERENCES = 10;

    private final Connection connection;
    /** Statements of one SQL waiting to run as one batch, and their SQL. */
    private PreparedStatement pending;
    private String pendingSql;
    private boolean batching;
    private final TableId source;
    private final TableId replica;
    /** Columns in table order, by name. */
    private final Map<String, Column> columns;
    private final List<String> primaryKey;

    private record Column(String name, String type, char arrayDelimiter) {
        String cast() {
            return "?::" + type;
        }
    }

    private ReplicaVerifier(Connection connection, TableId source, TableId replica, Map<String, Column> columns,
                            List<String> primaryKey) {
        this.connection = connection;
        this.source = source;
        this.replica = replica;
        this.columns = columns;
        this.primaryKey = primaryKey;
    }

    /**
     * Creates the replica of {@code source} in {@code replicaSchema} (creating the schema if needed)
     * and returns a verifier holding one connection from {@code connections}.
     *
     * @param connections   opens a connection to the source's database, e.g. {@code db::connect}
     * @param source        the table to mirror; it must have a primary key
     * @param replicaSchema where to put the copy, which gets the source table's name; must differ
     *                      from the source's schema
     * @throws IllegalArgumentException when the table does not exist, has no primary key, or the
     *                                  schemas are the same
     * @throws IllegalStateException    when a connection cannot be had or the copy cannot be made
     */
    public static ReplicaVerifier create(Callable<Connection> connections, TableId source, String replicaSchema) {
        Objects.requireNonNull(connections, "connections");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(replicaSchema, "replicaSchema");
        TableId replica = new TableId(replicaSchema, source.table());
        if (replicaSchema.equals(source.schema())) {
            throw new IllegalArgumentException("the replica of " + source + " must be in another schema than "
                    + source.schema());
        }
        Connection c = open(connections);
        try {
            Map<String, Column> columns = readColumns(c, source);
            List<String> pk = readPrimaryKey(c, source);
            if (pk.isEmpty()) {
                throw new IllegalArgumentException(source + " has no primary key: a replica needs one to apply "
                        + "updates and deletes by key");
            }
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(replicaSchema));
                st.execute("DROP TABLE IF EXISTS " + replica.quoted());
                st.execute("CREATE TABLE " + replica.quoted() + " (LIKE " + source.quoted() + " INCLUDING DEFAULTS)");
                st.execute("ALTER TABLE " + replica.quoted() + " ADD PRIMARY KEY (" + quotedList(pk) + ")");
            }
            c.commit();
            return new ReplicaVerifier(c, source, replica, columns, pk);
        } catch (SQLException e) {
            closeQuietly(c);
            throw new IllegalStateException("cannot create the replica " + replica + " of " + source + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    /** The table whose changes are replayed. */
    public TableId source() {
        return source;
    }

    /** The copy the changes are replayed into. */
    public TableId replica() {
        return replica;
    }

    /** The source's primary-key columns, in key order. */
    public List<String> primaryKey() {
        return primaryKey;
    }

    /**
     * Applies events to the replica, in order, in one transaction: creates and reads ({@code c},
     * {@code r}) and updates ({@code u}) upsert the {@code after} image by primary key over the
     * columns it has (an update whose {@code before} has another key first deletes the old row);
     * deletes ({@code d}) delete by {@code key}, or by the key columns of {@code before} when the key
     * is empty; truncates ({@code t}) empty the replica.
     *
     * <p>Events for other tables are skipped, so a whole captured stream can be passed in. Can be
     * used as a {@code ChangeHandler}: {@code source.start(verifier::apply)}.
     *
     * @return how many events were applied (the events of this table)
     * @throws IllegalArgumentException when an event names a column the table does not have, or a
     *                                  delete carries no key; nothing of the call is applied
     * @throws IllegalStateException    when PostgreSQL refuses an event; nothing of the call is applied
     */
    public synchronized int apply(List<ChangeEvent> events) {
        Objects.requireNonNull(events, "events");
        try {
            return apply(events, true);
        } catch (IllegalStateException batchFailed) {
            // again one statement at a time, which names the event PostgreSQL refuses
            return apply(events, false);
        }
    }

    private int apply(List<ChangeEvent> events, boolean batch) {
        batching = batch;
        int applied = 0;
        int index = 0;
        ChangeEvent current = null;
        try {
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            for (ChangeEvent event : events) {
                current = event;
                if (isForSource(event)) {
                    applyOne(event);
                    applied++;
                }
                index++;
            }
            flush();
            connection.commit();
            return applied;
        } catch (SQLException e) {
            rollbackQuietly();
            throw new IllegalStateException("cannot apply event #" + index + " (" + summary(current) + ") to "
                    + replica + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            rollbackQuietly();
            throw e;
        }
    }

    /**
     * Compares the replica with the source as both are now, in one snapshot: row counts, an md5
     * over each side's rows in primary-key order, and the first differing keys.
     */
    public synchronized Verification verify() {
        String pkOrder = primaryKey.stream().map(k -> "t." + TableId.quote(k)).collect(Collectors.joining(", "));
        try {
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            long[] counts = new long[2];
            String[] sums = new String[2];
            TableId[] sides = {source, replica};
            for (int i = 0; i < 2; i++) {
                String sql = "SELECT count(*), md5(coalesce(string_agg(ROW(t.*)::text, E'\\n' ORDER BY " + pkOrder
                        + "), '')) FROM " + sides[i].quoted() + " t";
                try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                    rs.next();
                    counts[i] = rs.getLong(1);
                    sums[i] = rs.getString(2);
                }
            }
            long differing = 0;
            List<Verification.Difference> differences = new ArrayList<>();
            try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(differencesSql())) {
                while (rs.next()) {
                    differing = rs.getLong(1);
                    String sourceRow = rs.getString(2);
                    String replicaRow = rs.getString(3);
                    Map<String, String> key = new LinkedHashMap<>();
                    for (int k = 0; k < primaryKey.size(); k++) {
                        key.put(primaryKey.get(k), rs.getString(4 + k));
                    }
                    Verification.Kind kind = sourceRow == null ? Verification.Kind.EXTRA_IN_REPLICA
                            : replicaRow == null ? Verification.Kind.MISSING_IN_REPLICA : Verification.Kind.DIFFERENT;
                    differences.add(new Verification.Difference(kind, key, sourceRow, replicaRow));
                }
            }
            connection.commit();
            return new Verification(source, replica, counts[0], counts[1], sums[0], sums[1], differing, differences);
        } catch (SQLException e) {
            rollbackQuietly();
            throw new IllegalStateException("cannot compare " + replica + " with " + source + ": " + e.getMessage(), e);
        }
    }

    /** Closes the connection; the replica table stays. */
    @Override
    public synchronized void close() {
        closeQuietly(connection);
    }

    private String differencesSql() {
        String s0 = "s." + TableId.quote(primaryKey.get(0));
        String r0 = "r." + TableId.quote(primaryKey.get(0));
        String on = primaryKey.stream().map(TableId::quote).map(k -> "s." + k + " = r." + k)
                .collect(Collectors.joining(" AND "));
        String keys = primaryKey.stream().map(TableId::quote).map(k -> "coalesce(s." + k + ", r." + k + ")")
                .collect(Collectors.joining(", "));
        String keyTexts = primaryKey.stream().map(TableId::quote)
                .map(k -> "coalesce(s." + k + "::text, r." + k + "::text)").collect(Collectors.joining(", "));
        return "SELECT count(*) OVER (),"
                + " CASE WHEN " + s0 + " IS NULL THEN NULL ELSE ROW(s.*)::text END,"
                + " CASE WHEN " + r0 + " IS NULL THEN NULL ELSE ROW(r.*)::text END, " + keyTexts
                + " FROM " + source.quoted() + " s FULL JOIN " + replica.quoted() + " r ON " + on
                + " WHERE " + s0 + " IS NULL OR " + r0 + " IS NULL OR ROW(s.*)::text IS DISTINCT FROM ROW(r.*)::text"
                + " ORDER BY " + keys + " LIMIT " + MAX_DIFFERENCES;
    }

    private boolean isForSource(ChangeEvent event) {
        SourceInfo info = event.source();
        return source.schema().equals(info.schema()) && source.table().equals(info.table());
    }

    private void applyOne(ChangeEvent event) throws SQLException {
        Op op = event.op();
        switch (op) {
            case CREATE, READ, UPDATE -> {
                Map<String, Object> after = event.after();
                if (after == null || after.isEmpty()) {
                    throw new IllegalArgumentException("event " + summary(event) + " has no after image");
                }
                if (op == Op.UPDATE && event.before() != null) {
                    Map<String, Object> oldKey = keyOf(event.before());
                    if (oldKey != null && !sameValues(oldKey, keyOf(after))) {
                        delete(oldKey);
                    }
                }
                upsert(after);
            }
            case DELETE -> {
                Map<String, Object> key = event.key();
                if (key.isEmpty()) {
                    key = event.before() == null ? null : keyOf(event.before());
                }
                if (key == null) {
                    throw new IllegalArgumentException("delete " + summary(event)
                            + " has neither a key nor a before image with the primary key " + primaryKey);
                }
                delete(key);
            }
            case TRUNCATE -> {
                flush();
                try (Statement st = connection.createStatement()) {
                    st.execute("TRUNCATE " + replica.quoted());
                }
            }
        }
    }

    /** The primary-key columns of a row image, or null when it lacks one of them. */
    private Map<String, Object> keyOf(Map<String, Object> row) {
        Map<String, Object> key = new LinkedHashMap<>();
        for (String k : primaryKey) {
            if (!row.containsKey(k) || row.get(k) == null) {
                return null;
            }
            key.put(k, row.get(k));
        }
        return key;
    }

    private static boolean sameValues(Map<String, Object> a, Map<String, Object> b) {
        if (b == null || !a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> e : a.entrySet()) {
            if (!Objects.deepEquals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private void upsert(Map<String, Object> row) throws SQLException {
        List<Column> cols = columnsOf(row);
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(replica.quoted()).append(" (")
                .append(cols.stream().map(c -> TableId.quote(c.name())).collect(Collectors.joining(", ")))
                .append(") VALUES (")
                .append(cols.stream().map(Column::cast).collect(Collectors.joining(", ")))
                .append(") ON CONFLICT (").append(quotedList(primaryKey)).append(") DO ");
        List<String> set = new ArrayList<>();
        for (Column c : cols) {
            if (!primaryKey.contains(c.name())) {
                set.add(TableId.quote(c.name()) + " = EXCLUDED." + TableId.quote(c.name()));
            }
        }
        sql.append(set.isEmpty() ? "NOTHING" : "UPDATE SET " + String.join(", ", set));
        PreparedStatement ps = batched(sql.toString());
        int i = 1;
        for (Column c : cols) {
            SqlValueBinder.bind(ps, i++, row.get(c.name()), c.arrayDelimiter());
        }
        ps.addBatch();
        if (!batching) {
            flush();
        }
    }

    /**
     * The statement for {@code sql}, batching consecutive statements of the same SQL into one
     * round trip; a different statement first runs the batch, so the events keep their order.
     */
    private PreparedStatement batched(String sql) throws SQLException {
        if (sql.equals(pendingSql)) {
            return pending;
        }
        flush();
        pending = connection.prepareStatement(sql);
        pendingSql = sql;
        return pending;
    }

    /** Runs the batched statements, if any. */
    private void flush() throws SQLException {
        PreparedStatement ps = pending;
        pending = null;
        pendingSql = null;
        if (ps != null) {
            try (ps) {
                ps.executeBatch();
            }
        }
    }

    private void delete(Map<String, Object> key) throws SQLException {
        List<Column> cols = columnsOf(key);
        StringBuilder sql = new StringBuilder("DELETE FROM ").append(replica.quoted()).append(" WHERE ");
        List<String> conditions = new ArrayList<>();
        for (Column c : cols) {
            conditions.add(TableId.quote(c.name()) + (key.get(c.name()) == null ? " IS NULL" : " = " + c.cast()));
        }
        sql.append(String.join(" AND ", conditions));
        PreparedStatement ps = batched(sql.toString());
        int i = 1;
        for (Column c : cols) {
            Object value = key.get(c.name());
            if (value != null) {
                SqlValueBinder.bind(ps, i++, value, c.arrayDelimiter());
            }
        }
        ps.addBatch();
        if (!batching) {
            flush();
        }
    }

    private List<Column> columnsOf(Map<String, Object> row) {
        List<Column> cols = new ArrayList<>();
        for (String name : row.keySet()) {
            Column c = columns.get(name);
            if (c == null) {
                throw new IllegalArgumentException("column '" + name + "' is not a column of " + source
                        + " (columns: " + columns.keySet() + ")");
            }
            cols.add(c);
        }
        return cols;
    }

    private static Map<String, Column> readColumns(Connection c, TableId table) throws SQLException {
        String sql = "SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
                + " coalesce((SELECT e.typdelim FROM pg_type ty JOIN pg_type e ON e.oid = ty.typelem"
                + "           WHERE ty.oid = a.atttypid AND ty.typcategory = 'A'), ',')"
                + " FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = cl.relnamespace"
                + " WHERE n.nspname = ? AND cl.relname = ? AND cl.relkind IN ('r', 'p')"
                + " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
        Map<String, Column> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String delimiter = rs.getString(3);
                    columns.put(rs.getString(1), new Column(rs.getString(1), rs.getString(2),
                            delimiter == null || delimiter.isEmpty() ? ',' : delimiter.charAt(0)));
                }
            }
        }
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("table " + table + " does not exist (or has no columns)");
        }
        return Collections.unmodifiableMap(columns);
    }

    private static List<String> readPrimaryKey(Connection c, TableId table) throws SQLException {
        String sql = "SELECT a.attname FROM pg_index i"
                + " JOIN pg_class cl ON cl.oid = i.indrelid JOIN pg_namespace n ON n.oid = cl.relnamespace"
                + " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
                + " JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum = k.attnum"
                + " WHERE n.nspname = ? AND cl.relname = ? AND i.indisprimary ORDER BY k.ord";
        List<String> pk = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pk.add(rs.getString(1));
                }
            }
        }
        return List.copyOf(pk);
    }

    private static String quotedList(List<String> names) {
        return names.stream().map(TableId::quote).collect(Collectors.joining(", "));
    }

    private static String summary(ChangeEvent event) {
        if (event == null) {
            return "none";
        }
        return "op " + event.op().code() + " on " + event.source().schema() + "." + event.source().table()
                + (event.key().isEmpty() ? "" : ", key " + event.key());
    }

    private static Connection open(Callable<Connection> connections) {
        try {
            return Objects.requireNonNull(connections.call(), "connections returned null");
        } catch (Exception e) {
            throw new IllegalStateException("cannot open a connection: " + e.getMessage(), e);
        }
    }

    private void rollbackQuietly() {
        try {
            if (pending != null) {
                pending.close();
            }
        } catch (SQLException ignored) {
            // rolled back below either way
        }
        pending = null;
        pendingSql = null;
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the original failure is what matters
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing left to do with it
        }
    }
}
