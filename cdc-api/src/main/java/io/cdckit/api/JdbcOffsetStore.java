package io.cdckit.api;

import io.cdckit.api.jdbc.Masking;
import io.cdckit.api.jdbc.SourceConnections;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;

/**
 * Positions in a table of a PostgreSQL database, one row per source:
 * {@code (source_name text PRIMARY KEY, position jsonb NOT NULL, updated_at timestamptz)}.
 *
 * <p>Parameters are positional ({@link PositionalSqlParser}): Jdbi's own parser would misread
 * the doubled quotes of a quoted table name such as {@code "pos ""v1"""}.
 *
 * <p>Borrows a connection for each load and save (from the source's pool, or the application's
 * DataSource) through Jdbi, creates the schema and table when they do not exist yet, and writes
 * in autocommit mode, so {@link #save} returns once the row is committed. A failed statement is
 * retried once on another connection unless a new connection cannot help (rejected login,
 * missing privilege, bad statement or value).
 *
 * <p>The password never appears in a message, a log line or {@link #toString()}.
 */
final class JdbcOffsetStore implements OffsetStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcOffsetStore.class);

    private final Jdbi jdbi;
    private final Masking masking;
    private final String description;
    private final AutoCloseable owned;
    private final String schema;
    private final String table;
    private final String qualified;

    private volatile boolean tableReady;
    private boolean closed;

    JdbcOffsetStore(SourceConnections connections, boolean owns, String schema, String table) {
        this(connections.pooled(), connections.masking(), connections.describe(), owns ? connections : null, schema,
                table);
    }

    JdbcOffsetStore(DataSource dataSource, Masking masking, String description, AutoCloseable owned, String schema,
                    String table) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.table = Objects.requireNonNull(table, "table");
        if (schema.isEmpty() || table.isEmpty()) {
            closeQuietly(owned);
            throw new CdcException("The offset table needs a schema and a name: set cdc.offset.jdbc.schema and "
                    + "cdc.offset.jdbc.table to non-empty values.");
        }
        this.jdbi = PositionalSqlParser.jdbi(Objects.requireNonNull(dataSource, "dataSource"));
        this.masking = masking;
        this.description = description;
        this.owned = owned;
        this.qualified = TableId.quote(schema) + "." + TableId.quote(table);
    }

    @Override
    public synchronized Optional<Position> load(String sourceName) {
        Objects.requireNonNull(sourceName, "sourceName");
        ensureOpen();
        Optional<String> json = run("Loading the position of source '" + sourceName + "'", h -> h
                .createQuery("SELECT \"position\"::text FROM " + qualified + " WHERE source_name = ?")
                .bind(0, sourceName).mapTo(String.class).findOne());
        if (json.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(PositionJson.fromJson(json.get()));
        } catch (IllegalArgumentException e) {
            String literal = "'" + sourceName.replace("'", "''") + "'";
            throw new CdcException("The position of source '" + sourceName + "' in offset table " + displayTable()
                    + " is invalid: " + e.getMessage() + ". Correct the row, or delete it to start over ("
                    + "DELETE FROM " + qualified + " WHERE source_name = " + literal + "), which makes the "
                    + "source start again from the beginning, as if it had never run.");
        }
    }

    @Override
    public synchronized void save(String sourceName, Position position) {
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(position, "position");
        ensureOpen();
        String json = PositionJson.toJson(position);
        run("Saving the position of source '" + sourceName + "'", h -> h
                .createUpdate("INSERT INTO " + qualified + " (source_name, \"position\") VALUES (?, CAST(? AS jsonb))"
                        + " ON CONFLICT (source_name) DO UPDATE SET \"position\" = EXCLUDED.\"position\", updated_at = now()")
                .bind(0, sourceName).bind(1, json).execute());
    }

    /** Closes the connections the store owns; the store can no longer be used. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeQuietly(owned);
        }
    }

    @Override
    public String toString() {
        return "jdbc offset table " + displayTable() + " at " + description;
    }

    // ------------------------------------------------------------------------------------------

    /** Runs {@code work} after making sure the table exists; tries once more on another connection when that may help. */
    private <T> T run(String what, HandleCallback<T, RuntimeException> work) {
        try {
            return jdbi.withHandle(h -> {
                ensureTable(h);
                return work.withHandle(h);
            });
        } catch (JdbiException first) {
            SQLException sql = sqlCause(first);
            if (!worthRetrying(sql)) {
                throw failure(what, first, sql);
            }
            LOG.warn("{} failed on {}: {} (SQLState {}); trying once more on another connection", what, this,
                    masking.scrub(sql == null ? first.getMessage() : sql.getMessage()),
                    sql == null ? null : sql.getSQLState());
            tableReady = false;
            try {
                return jdbi.withHandle(h -> {
                    ensureTable(h);
                    return work.withHandle(h);
                });
            } catch (JdbiException second) {
                throw failure(what, second, sqlCause(second));
            }
        }
    }

    private void ensureTable(Handle h) {
        if (tableReady) {
            return;
        }
        // Look first: creating needs privileges that a pre-created table makes unnecessary.
        if (!tableExists(h)) {
            create(h);
        }
        tableReady = true;
    }

    private boolean tableExists(Handle h) {
        return h.createQuery("SELECT 1 FROM pg_catalog.pg_class t JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"
                        + " WHERE n.nspname = ? AND t.relname = ?")
                .bind(0, schema).bind(1, table).mapTo(Integer.class).findOne().isPresent();
    }

    private void create(Handle h) {
        boolean schemaExists = h.createQuery("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?")
                .bind(0, schema).mapTo(Integer.class).findOne().isPresent();
        if (!schemaExists) {
            try {
                h.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema));
            } catch (JdbiException e) {
                if (isPrivilegeError(sqlCause(e))) {
                    throw cannotCreate(h, e, "GRANT CREATE ON DATABASE " + TableId.quote(database(h)) + " TO "
                            + TableId.quote(currentUser(h)) + ";");
                }
                throw e;
            }
        }
        try {
            h.execute(createTableSql());
        } catch (JdbiException e) {
            if (isPrivilegeError(sqlCause(e))) {
                throw cannotCreate(h, e, "GRANT USAGE, CREATE ON SCHEMA " + TableId.quote(schema) + " TO "
                        + TableId.quote(currentUser(h)) + ";");
            }
            // Another process may have created it at the same moment.
            if (!tableExists(h)) {
                throw e;
            }
        }
        LOG.info("Created offset table {}", displayTable());
    }

    private String createTableSql() {
        return "CREATE TABLE IF NOT EXISTS " + qualified + " (source_name text PRIMARY KEY, position jsonb NOT NULL,"
                + " updated_at timestamptz NOT NULL DEFAULT now())";
    }

    private CdcException cannotCreate(Handle h, JdbiException e, String grant) {
        String role = TableId.quote(currentUser(h));
        SQLException sql = sqlCause(e);
        return new CdcException("The offset table " + displayTable() + " does not exist and database user " + role
                + " may not create it (" + masking.scrub(sql != null ? sql.getMessage() : e.getMessage())
                + "). Either allow it: " + grant
                + " Or have a DBA create the table once: CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema)
                + "; " + createTableSql() + "; GRANT USAGE ON SCHEMA " + TableId.quote(schema) + " TO " + role
                + "; GRANT SELECT, INSERT, UPDATE ON " + qualified + " TO " + role + ";"
                + " Or point cdc.offset.jdbc.schema and cdc.offset.jdbc.table to a table it may create.",
                masking.scrubbed(sql != null ? sql : e));
    }

    private CdcException failure(String what, JdbiException e, SQLException sql) {
        String state = sql == null || sql.getSQLState() == null ? "" : sql.getSQLState();
        StringBuilder msg = new StringBuilder(what).append(" failed on ").append(this).append(": ")
                .append(masking.scrub(sql != null ? sql.getMessage() : e.getMessage()))
                .append(" (SQLState ").append(state.isEmpty() ? "none" : state).append(").");
        if (isPrivilegeError(sql)) {
            msg.append(" Grant access to the offset table: GRANT USAGE ON SCHEMA ").append(TableId.quote(schema))
                    .append(" TO <user>; GRANT SELECT, INSERT, UPDATE ON ").append(qualified).append(" TO <user>;");
        } else if (state.startsWith("28")) {
            msg.append(" Check cdc.jdbc.user and cdc.jdbc.password.");
        } else if (state.startsWith("08")) {
            msg.append(" Check that the database is up and reachable.");
        }
        return new CdcException(msg.toString(), masking.scrubbed(sql != null ? sql : e));
    }

    private static SQLException sqlCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    /**
     * Whether a new connection might succeed where this one failed: not after a rejected login
     * (retrying could lock the account), a missing privilege, or a bad statement or value.
     */
    private static boolean worthRetrying(SQLException e) {
        String state = e == null ? null : e.getSQLState();
        return state == null || !(state.startsWith("28") || state.startsWith("42") || state.startsWith("22"));
    }

    private static boolean isPrivilegeError(SQLException e) {
        return e != null && "42501".equals(e.getSQLState());
    }

    private static String currentUser(Handle h) {
        return queryQuietly(h, "SELECT current_user", "<user>");
    }

    private static String database(Handle h) {
        return queryQuietly(h, "SELECT current_database()", "<database>");
    }

    private static String queryQuietly(Handle h, String sql, String otherwise) {
        try {
            return h.createQuery(sql).mapTo(String.class).findOne().orElse(otherwise);
        } catch (JdbiException e) {
            return otherwise;
        }
    }

    private String displayTable() {
        return new TableId(schema, table).toString();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("offset store " + this + " is closed");
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing left to release
        }
    }
}
