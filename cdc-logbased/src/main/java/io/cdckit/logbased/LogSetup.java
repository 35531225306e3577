package io.cdckit.logbased;

import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.DdlLockWait;
import io.cdckit.api.jdbc.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks and prepares the database before the engine starts: {@code wal_level=logical}, the
 * REPLICATION privilege, SELECT on every captured table, the publication of exactly the captured
 * tables, REPLICA IDENTITY FULL when configured, and a slot that can still deliver what the source
 * has not yet handled (see {@link SlotGuard}). Each failure names the setting or GRANT that fixes
 * it. {@code REPLICA IDENTITY FULL}, which locks out writers while it waits, waits for the
 * tables' locks only as long as {@link DdlLockWait} allows.
 */
final class LogSetup {

    private static final Logger LOG = LoggerFactory.getLogger(LogSetup.class);

    private final Connection connection;
    private final DdlLockWait ddl;

    LogSetup(Connection connection, DdlLockWait ddl) {
        this.connection = connection;
        this.ddl = ddl;
    }

    /** The server's version number ({@code server_version_num}, e.g. 150004). */
    int serverVersion() throws SQLException {
        return Integer.parseInt(queryString("SHOW server_version_num"));
    }

    /** Fails unless the server writes logical WAL. */
    void checkWalLevel() throws SQLException {
        String level = queryString("SHOW wal_level");
        if (!"logical".equals(level)) {
            throw new CdcException("The server runs with wal_level=" + level + ", but log-based capture needs "
                    + "wal_level=logical: run ALTER SYSTEM SET wal_level = logical (or set it in postgresql.conf) and "
                    + "restart PostgreSQL, or choose another cdc.mode (trigger or timestamp).");
        }
    }

    /** Fails unless the user may open replication connections. */
    void checkReplicationPrivilege() throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_user, rolreplication OR rolsuper FROM pg_roles "
                     + "WHERE rolname = current_user")) {
            if (rs.next() && !rs.getBoolean(2)) {
                String user = rs.getString(1);
                throw new CdcException("User " + user + " lacks the REPLICATION privilege that log-based capture "
                        + "needs to read the WAL: run ALTER ROLE " + TableId.quote(user) + " WITH REPLICATION as a "
                        + "superuser (and allow replication connections for it in pg_hba.conf).");
            }
        }
    }

    /**
     * Fails for a schema or table name that starts or ends with a double quote: Debezium's
     * PostgreSQL connector does not quote such names when it parses pgoutput's relation names, and
     * would stop at the table's first change.
     */
    static void checkNamesDebeziumCanParse(List<TableId> tables) {
        for (TableId t : tables) {
            for (String part : List.of(t.schema(), t.table())) {
                if (part.startsWith("\"") || part.endsWith("\"")) {
                    throw new CdcException("Cannot capture " + t + " with cdc.mode=log: Debezium's PostgreSQL "
                            + "connector fails on schema or table names that start or end with a double quote ("
                            + TableId.quote(part) + "). Rename it (ALTER TABLE ... RENAME), or capture it with "
                            + "cdc.mode=trigger.");
                }
            }
        }
    }

    /** Loads every table's schema, which fails naming the table when it is missing or not readable. */
    void checkTables(List<TableId> tables, io.cdckit.api.TableColumns keys) throws SQLException {
        for (TableId t : tables) {
            // every event carries the row's key: refuse tables that have none
            TableSchema.load(connection, t, keys).requirePrimaryKey();
        }
    }

    /**
     * With {@code cdc.log.replica-identity=default}: refuses tables whose replica identity is
     * nothing, or the primary key they do not have, because PostgreSQL refuses every UPDATE and
     * DELETE on such a table once a publication publishes them: capturing it would break its
     * writers.
     */
    void checkReplicaIdentityDefault(List<TableId> tables) throws SQLException {
        for (TableId t : tables) {
            try (PreparedStatement ps = connection.prepareStatement("SELECT c.relreplident, EXISTS (SELECT 1 FROM "
                    + "pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) FROM pg_catalog.pg_class c "
                    + "WHERE c.oid = ?::regclass")) {
                ps.setString(1, t.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    String identity = rs.getString(1);
                    if ("n".equals(identity) || ("d".equals(identity) && !rs.getBoolean(2))) {
                        throw new CdcException("Table " + t + " has no replica identity (" + ("n".equals(identity)
                                ? "REPLICA IDENTITY NOTHING" : "no primary key") + "): once the publication includes "
                                + "it, PostgreSQL refuses every UPDATE and DELETE on it. Set cdc.log.replica-identity="
                                + "full (the default), or run ALTER TABLE " + t.quoted() + " REPLICA IDENTITY USING "
                                + "INDEX <a unique index on NOT NULL columns>;");
                    }
                }
            }
        }
    }

    /** Sets REPLICA IDENTITY FULL on each table that does not have it yet. */
    void useFullReplicaIdentity(List<TableId> captured) throws SQLException {
        for (TableId t : withPartitions(captured)) {
            String current;
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT relreplident FROM pg_class WHERE oid = ?::regclass")) {
                ps.setString(1, t.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    current = rs.getString(1);
                }
            }
            if ("f".equals(current)) {
                continue;
            }
            String sql = "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL";
            try {
                ddl.run(connection, "set REPLICA IDENTITY FULL on " + t, List.of(t), c -> execute(c, sql));
                LOG.info("Set REPLICA IDENTITY FULL on {} so updates and deletes carry the complete before image", t);
            } catch (SQLException e) {
                throw new CdcException("Could not set REPLICA IDENTITY FULL on " + t + " (" + e.getMessage().strip()
                        + "): run " + sql + " as the table's owner, or set cdc.log.replica-identity=default to "
                        + "leave the table as it is.", e);
            }
        }
    }

    /**
     * The tables with the partitions of the partitioned ones (whose rows, and so whose replica
     * identity, are the partitions'); partitions attached later need the same, which
     * {@code docs/log.md} says.
     */
    private List<TableId> withPartitions(List<TableId> tables) throws SQLException {
        List<TableId> out = new ArrayList<>();
        for (TableId t : tables) {
            out.add(t);
            try (PreparedStatement ps = connection.prepareStatement("SELECT n.nspname, c.relname FROM "
                    + "pg_catalog.pg_partition_tree(?::regclass) p JOIN pg_catalog.pg_class c ON c.oid = p.relid "
                    + "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE p.isleaf AND p.level > 0")) {
                ps.setString(1, t.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new TableId(rs.getString(1), rs.getString(2)));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Creates the publication for exactly {@code tables}, or sets its tables when it exists with
     * others; with each table's row filter and column list ({@link PublicationColumns}), if any.
     */
    void ensurePublication(String publication, List<TableId> tables, io.cdckit.api.RowFilters filters,
                           java.util.Map<TableId, List<String>> columns) throws SQLException {
        String tableList = tables.stream().map(t -> t.quoted()
                + (columns.containsKey(t) ? " (" + columns.get(t).stream().map(TableId::quote)
                        .collect(Collectors.joining(", ")) + ")" : "")
                + (filters.of(t) == null ? "" : " WHERE (" + filters.of(t) + ")")).collect(Collectors.joining(", "));
        Set<TableId> published = null;
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT p.puballtables, pt.schemaname, pt.tablename FROM pg_publication p "
                        + "LEFT JOIN pg_publication_tables pt ON pt.pubname = p.pubname WHERE p.pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (published == null) {
                        published = new HashSet<>();
                    }
                    if (rs.getBoolean(1)) {
                        throw new CdcException("Publication " + publication + " publishes all tables, but cdckit "
                                + "needs one for exactly cdc.tables: set cdc.log.publication to another name, or "
                                + "DROP PUBLICATION " + TableId.quote(publication) + ".");
                    }
                    if (rs.getString(2) != null) {
                        published.add(new TableId(rs.getString(2), rs.getString(3)));
                    }
                }
            }
        }
        // changes of a partition are to be published as the partitioned table's, which is what is captured
        boolean viaRoot = anyPartitioned(tables);
        String sql;
        if (published == null) {
            sql = "CREATE PUBLICATION " + TableId.quote(publication) + " FOR TABLE " + tableList
                    + (viaRoot ? " WITH (publish_via_partition_root = true)" : "");
        } else if (!published.equals(new HashSet<>(tables)) || !filters.isEmpty() || !columns.isEmpty()
                || hasRowFilters(publication) || hasColumnLists(publication)) {
            // row filters and column lists are compared by setting them: PostgreSQL keeps filters in its own form
            sql = "ALTER PUBLICATION " + TableId.quote(publication) + " SET TABLE " + tableList;
        } else {
            sql = null;
        }
        if (published != null && viaRoot && !publishesViaRoot(publication)) {
            String alter = "ALTER PUBLICATION " + TableId.quote(publication) + " SET (publish_via_partition_root = true)";
            try {
                execute(connection, alter);
                LOG.info("Publication {} now publishes the changes of partitions as their partitioned table's",
                        publication);
            } catch (SQLException e) {
                throw new CdcException("Publication " + publication + " publishes the changes of partitions as the "
                        + "partitions' own, so those of the partitioned tables in cdc.tables would not arrive ("
                        + e.getMessage().strip() + "): run " + alter + " as its owner.", e);
            }
        }
        if (sql == null) {
            return;
        }
        // no bounded lock wait here: publishing takes SHARE UPDATE EXCLUSIVE, which writers do not wait for
        try {
            execute(connection, sql);
            LOG.info("{} publication {} for {}", published == null ? "Created" : "Updated", publication, tables);
        } catch (SQLException e) {
            throw new CdcException("Could not " + (published == null ? "create" : "alter") + " publication "
                    + publication + " (" + e.getMessage().strip() + "): run " + sql + " as the owner of the tables "
                    + "(with CREATE on the database), or give the user those rights.", e);
        }
    }

    /** True when one of the tables is partitioned. */
    private boolean anyPartitioned(List<TableId> tables) throws SQLException {
        for (TableId t : tables) {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT relkind = 'p' FROM pg_catalog.pg_class WHERE oid = ?::regclass")) {
                ps.setString(1, t.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** True when the publication publishes partitions' changes as their root table's. */
    private boolean publishesViaRoot(String publication) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pubviaroot FROM pg_catalog.pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** True when some table of the publication has a column list (PostgreSQL 15+). */
    private boolean hasColumnLists(String publication) throws SQLException {
        if (serverVersion() < PublicationColumns.MIN_SERVER_VERSION) {
            return false;
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT 1 FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid "
                        + "WHERE p.pubname = ? AND pr.prattrs IS NOT NULL")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** True when some table of the publication has a row filter. */
    private boolean hasRowFilters(String publication) throws SQLException {
        if (serverVersion() < 150000) {
            return false;
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT 1 FROM pg_publication_tables WHERE pubname = ? AND rowfilter IS NOT NULL")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The replication slots of this name, with their plugin; empty when there is none. */
    List<String> slotPlugin(String slot) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT plugin, database FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                    out.add(rs.getString(2));
                }
            }
        }
        return out;
    }

    /**
     * Fails when a slot of this name exists but belongs to another database or plugin, or is
     * in use by another session for longer than {@code SLOT_RELEASE_WAIT} (the session of a
     * capture that was just stopped or killed may hold it for a moment).
     */
    void checkSlot(String slot) throws SQLException, InterruptedException {
        List<String> found = slotPlugin(slot);
        if (found.isEmpty()) {
            return;
        }
        String database = connection.getCatalog();
        if (!"pgoutput".equals(found.get(0)) || !database.equals(found.get(1))) {
            throw new CdcException("Replication slot " + slot + " exists but belongs to database " + found.get(1)
                    + " with plugin " + found.get(0) + ": set cdc.log.slot to a slot of its own for this source, or "
                    + "drop the old one with SELECT pg_drop_replication_slot('" + slot + "').");
        }
        long deadline = System.nanoTime() + SLOT_RELEASE_WAIT.toNanos();
        Integer pid;
        while ((pid = activePid(slot)) != null) {
            if (System.nanoTime() > deadline) {
                throw new CdcException("Replication slot " + slot + " is in use by another session (pid " + pid
                        + "): another source with the same cdc.log.slot is running. Stop it, or give this source "
                        + "its own cdc.log.slot (each slot serves one source).");
            }
            Thread.sleep(100);
        }
    }

    /**
     * Fails when PostgreSQL invalidated the slot ({@code wal_status = 'lost'}): WAL it had not
     * yet delivered is gone. Also fails when the source has a committed position but its slot does
     * not exist (dropped, or lost with a failover or a restore): resuming would start at the new
     * slot's start and skip everything in between.
     *
     * @param committedLsn the LSN of the committed position the source resumes after, or null when
     *                     it starts afresh
     */
    void checkSlotUsable(String sourceName, String slot, Long committedLsn) throws SQLException {
        SlotGuard.SlotState state = SlotGuard.read(connection, slot);
        if (state != null && state.lost()) {
            throw SlotGuard.invalidated(sourceName, slot, state.invalidationReason(), null);
        }
        if (state == null && committedLsn != null) {
            throw new CdcException("Source '" + sourceName + "' has a committed position (LSN "
                    + SlotGuard.lsnText(committedLsn) + ") but its replication slot " + slot + " does not exist: "
                    + "it was dropped, or lost with a failover or a restore from a backup (slots are not copied). "
                    + "The changes after that position can no longer be read, so the source does not start rather "
                    + "than skip them. To start over, run LogState.drop(config) (io.cdckit.logbased: it forgets "
                    + "the committed position and drops the publication), then start the source again with "
                    + "cdc.snapshot.mode=initial for a new snapshot; or start it under a new cdc.name.");
        }
    }

    /**
     * Logs a warning when the server lets slots keep WAL without limit
     * ({@code max_slot_wal_keep_size = -1}); a check that fails is only logged.
     *
     * @return the warning, or null when there is none
     */
    String warnWhenSlotWalUnlimited(String sourceName, String slot) {
        try {
            String warning = SlotGuard.unlimitedKeepSizeWarning(connection, sourceName, slot);
            if (warning != null) {
                LOG.warn("{}", warning);
            }
            return warning;
        } catch (SQLException e) {
            LOG.debug("Could not read {} for source '{}'", SlotGuard.KEEP_SIZE_SETTING, sourceName, e);
            return null;
        }
    }

    /** How long a slot held by another session may take to be released before start fails. */
    static final java.time.Duration SLOT_RELEASE_WAIT = java.time.Duration.ofSeconds(5);

    private Integer activePid(String slot) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private String queryString(String sql) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
