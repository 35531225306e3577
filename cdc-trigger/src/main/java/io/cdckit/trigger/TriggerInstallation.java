package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.SourceConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Installs, upgrades, checks and removes trigger capture in a database: the schema
 * ({@code cdc.trigger.schema}) with the change log, the {@code audit_changes} trigger functions and
 * the consumer registry, and the triggers on each table of {@code cdc.tables}.
 *
 * <p>A source with {@code cdc.trigger.install=true} calls {@link #install} itself on start. With
 * {@code false}, print {@link #installScript(CdcConfig)} (or run this class:
 * {@code java io.cdckit.trigger.TriggerInstallation install cdc.properties}), have it reviewed, and
 * let a DBA run it. Everything is idempotent and versioned: running the install again upgrades an
 * older install or changes nothing; {@link #uninstall} removes exactly what installs created.
 */
public final class TriggerInstallation {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerInstallation.class);
    static final int MIN_SERVER_VERSION = 130000;

    private TriggerInstallation() {
    }

    /** The install SQL for {@code config}'s schema, flavour, source name and tables, for review. */
    public static String installScript(CdcConfig config) {
        return new InstallScript(TriggerSettings.of(config)).installScript();
    }

    /** The SQL that removes trigger capture from {@code config}'s schema, for review. */
    public static String uninstallScript(CdcConfig config) {
        return new InstallScript(TriggerSettings.of(config)).uninstallScript();
    }

    /** Connects with {@code config}'s JDBC settings and installs (or upgrades) in one transaction. */
    public static void install(CdcConfig config) {
        try (SourceConnections connections = SourceConnections.create(config).requireUrl("Installing trigger capture");
             Connection c = connections.borrow()) {
            install(c, TriggerSettings.of(config));
        } catch (SQLException e) {
            throw new CdcException("Installing trigger capture failed: " + e.getMessage(), e);
        }
    }

    /** Connects with {@code config}'s JDBC settings and removes everything installs created in its schema. */
    public static void uninstall(CdcConfig config) {
        TriggerSettings settings = TriggerSettings.of(config);
        try (SourceConnections connections = SourceConnections.create(config).requireUrl("Removing trigger capture");
             Connection c = connections.borrow()) {
            settings.ddl().run(c, "remove trigger capture from schema " + settings.schema(), captured(c, settings),
                    tx -> runStatements(tx, new InstallScript(settings).uninstallStatements()));
            LOG.info("Removed trigger capture from schema {}", settings.schema());
        } catch (SQLException e) {
            throw new CdcException("Removing trigger capture from schema " + settings.schema() + " failed: "
                    + e.getMessage() + ". It needs ownership of the schema's objects and of the captured tables "
                    + "(or TRIGGER on them).", e);
        }
    }

    /**
     * Prints the install or uninstall script for a properties file:
     * {@code install|uninstall path/to/cdc.properties}.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2 || !(args[0].equals("install") || args[0].equals("uninstall"))) {
            System.err.println("usage: TriggerInstallation install|uninstall <cdc.properties>");
            System.exit(2);
            return;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
            p.load(in);
        }
        CdcConfig config = CdcConfig.from(p);
        System.out.print(args[0].equals("install") ? installScript(config) : uninstallScript(config));
    }

    static void install(Connection c, TriggerSettings settings) throws SQLException {
        checkServerVersion(c);
        checkInstallPrivileges(c, settings);
        try {
            settings.ddl().run(c, "install trigger capture in schema " + settings.schema(), settings.tables(),
                    tx -> runStatements(tx, new InstallScript(settings).installStatements()));
        } catch (SQLException e) {
            String hint = e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                    && p.getServerErrorMessage().getHint() != null ? " " + p.getServerErrorMessage().getHint() : "";
            throw new CdcException("Installing trigger capture in schema " + settings.schema() + " failed: "
                    + e.getMessage() + hint, e);
        }
        LOG.info("Trigger capture (version {}, {} flavour) installed in schema {} for {}", InstallScript.VERSION,
                settings.flavour().name().toLowerCase(), settings.schema(), settings.tables());
    }

    /** The tables captured through the schema (whichever source registered them), and the configured ones. */
    private static List<TableId> captured(Connection c, TriggerSettings settings) throws SQLException {
        List<TableId> tables = new ArrayList<>(settings.tables());
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, r.relname
                FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
                WHERE pg_catalog.to_regclass(?) IS NOT NULL
                  AND r.oid IN (SELECT tg.tgrelid FROM pg_catalog.pg_trigger tg
                                JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
                                WHERE p.pronamespace = ?::pg_catalog.regnamespace)""")) {
            ps.setString(1, settings.quotedSchema() + ".installation");
            ps.setString(2, settings.quotedSchema());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TableId t = new TableId(rs.getString(1), rs.getString(2));
                    if (!tables.contains(t)) {
                        tables.add(t);
                    }
                }
            }
        } catch (SQLException e) {
            if (!"3F000".equals(e.getSQLState())) { // no such schema: nothing is captured through it
                throw e;
            }
        }
        return tables;
    }

    /** Checks what a source with {@code cdc.trigger.install=false} relies on, naming the fix. */
    static void verify(Connection c, TriggerSettings settings) throws SQLException {
        checkServerVersion(c);
        String fix = "have a DBA run the script of TriggerInstallation.installScript(config) for this source, or set "
                + "cdc.trigger.install=true";
        Integer version = null;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname = ? AND c.relname = 'installation')""")) {
            ps.setString(1, settings.schema());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new CdcException("Trigger capture is not installed in schema " + settings.schema()
                            + " (cdc.trigger.install=false): " + fix + ".");
                }
            }
        }
        checkRunPrivileges(c, settings);
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version FROM " + settings.quotedSchema() + ".installation")) {
            if (rs.next()) {
                version = rs.getInt(1);
            }
        }
        if (version == null || version != InstallScript.VERSION) {
            throw new CdcException("Schema " + settings.schema() + " holds trigger capture version " + version
                    + " but this cdckit uses version " + InstallScript.VERSION + ": " + fix + " (it upgrades).");
        }
        for (TableId t : settings.tables()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT (SELECT consumer FROM %s.consumer WHERE relid = ?::pg_catalog.regclass),
                           (SELECT count(*) FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
                            WHERE tg.tgrelid = ?::pg_catalog.regclass AND p.pronamespace = ?::pg_catalog.regnamespace
                              AND p.proname LIKE 'audit_changes%%')""".formatted(settings.quotedSchema()))) {
                ps.setString(1, t.quoted());
                ps.setString(2, t.quoted());
                ps.setString(3, settings.quotedSchema());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    String owner = rs.getString(1);
                    if (rs.getLong(2) == 0 || owner == null) {
                        throw new CdcException("Table " + t + " is not captured through schema " + settings.schema()
                                + " (no audit_changes trigger or no consumer registered): " + fix + ".");
                    }
                    if (!owner.equals(settings.consumer())) {
                        throw new CdcException("Table " + t + " is captured by source '" + owner + "' through schema "
                                + settings.schema() + ", not by '" + settings.consumer() + "': a table has one "
                                + "consumer per log schema. Use cdc.name=" + owner + ", or give this source its own "
                                + "cdc.trigger.schema.");
                    }
                }
            }
        }
    }

    /** Checks what the reader needs at run time: USAGE on the schema, SELECT/DELETE on the log. */
    static void checkRunPrivileges(Connection c, TriggerSettings settings) throws SQLException {
        String s = settings.quotedSchema();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT current_user, pg_catalog.has_schema_privilege(?, 'USAGE'),
                       pg_catalog.has_table_privilege(?, 'SELECT'), pg_catalog.has_table_privilege(?, 'DELETE'),
                       pg_catalog.has_table_privilege(?, 'SELECT'), pg_catalog.has_table_privilege(?, 'SELECT')""")) {
            ps.setString(1, settings.schema());
            ps.setString(2, s + ".change_log");
            ps.setString(3, s + ".change_log");
            ps.setString(4, s + ".consumer");
            ps.setString(5, s + ".installation");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String user = TableId.quote(rs.getString(1));
                if (!rs.getBoolean(2)) {
                    throw new CdcException("User " + rs.getString(1) + " lacks USAGE on schema " + settings.schema()
                            + ": run GRANT USAGE ON SCHEMA " + s + " TO " + user + ";");
                }
                if (!rs.getBoolean(3) || !rs.getBoolean(4)) {
                    throw new CdcException("User " + rs.getString(1) + " lacks SELECT or DELETE on the change log: run "
                            + "GRANT SELECT, DELETE ON " + s + ".change_log TO " + user + ";");
                }
                if (!rs.getBoolean(5) || !rs.getBoolean(6)) {
                    throw new CdcException("User " + rs.getString(1) + " lacks SELECT on the install record: run "
                            + "GRANT SELECT ON " + s + ".consumer, " + s + ".installation TO " + user + ";");
                }
            }
        }
    }

    static void checkServerVersion(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_catalog.current_setting('server_version_num')::int, "
                     + "pg_catalog.current_setting('server_version')")) {
            rs.next();
            if (rs.getInt(1) < MIN_SERVER_VERSION) {
                throw new CdcException("cdc.mode=trigger needs PostgreSQL 13 or later (it uses pg_current_xact_id() "
                        + "and pg_snapshot); this server runs " + rs.getString(2) + ": upgrade the server, or use "
                        + "cdc.mode=timestamp or log.");
            }
        }
    }

    private static void checkInstallPrivileges(Connection c, TriggerSettings settings) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT current_user, pg_catalog.current_database(),
                       CASE WHEN n.oid IS NULL
                            THEN pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE')
                            ELSE pg_catalog.has_schema_privilege(n.oid, 'CREATE') END
                FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = ?""")) {
            ps.setString(1, settings.schema());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(3)) {
                    throw new CdcException("User " + rs.getString(1) + " may not create schema objects for trigger "
                            + "capture: run GRANT CREATE ON DATABASE " + TableId.quote(rs.getString(2)) + " TO "
                            + TableId.quote(rs.getString(1)) + "; (or GRANT CREATE ON SCHEMA "
                            + settings.quotedSchema() + " when it exists), or set cdc.trigger.install=false and have "
                            + "a DBA run TriggerInstallation.installScript(config).");
                }
            }
        }
        for (TableId t : settings.tables()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT current_user, pg_catalog.has_table_privilege(c.oid, 'TRIGGER')
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ? AND c.relname = ?""")) {
                ps.setString(1, t.schema());
                ps.setString(2, t.table());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new CdcException("Table " + t + " does not exist in this database: create it, or fix "
                                + "cdc.tables (unquoted names are folded to lower case; quote mixed-case names).");
                    }
                    if (!rs.getBoolean(2)) {
                        throw new CdcException("User " + rs.getString(1) + " may not create triggers on " + t
                                + ": run GRANT TRIGGER ON " + t.quoted() + " TO " + TableId.quote(rs.getString(1))
                                + "; (or install as the table's owner).");
                    }
                }
            }
        }
    }

    private static void runStatements(Connection c, Iterable<String> statements) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }
}
