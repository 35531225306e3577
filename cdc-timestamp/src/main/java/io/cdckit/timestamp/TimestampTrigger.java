package io.cdckit.timestamp;

import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.DdlLockWait;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Trigger-assisted mode: a {@code BEFORE INSERT OR UPDATE} trigger that sets the timestamp column
 * to {@code clock_timestamp()} on every write, so the column is maintained by the server whatever
 * the application writes, which is what the watermark's safety rests on.
 */
final class TimestampTrigger {

    private static final Logger LOG = LoggerFactory.getLogger(TimestampTrigger.class);
    static final String TRIGGER = "cdckit_timestamp";
    /** {@code pg_trigger.tgtype} of BEFORE INSERT OR UPDATE FOR EACH ROW: row 1 + before 2 + insert 4 + update 16. */
    private static final int TRIGGER_TYPE = 1 + 2 + 4 + 16;

    private TimestampTrigger() {
    }

    /**
     * Installs (or replaces) the function in {@code schema} and, unless it is already there as
     * wanted, the trigger on {@code t}. Creating the trigger locks the table against writes, so a
     * start with the trigger in place takes no table lock, and one without it waits only as long
     * as {@code ddl} allows.
     */
    static void install(Connection c, String schema, CapturedTable t, DdlLockWait ddl) throws SQLException {
        TableId function = new TableId(schema, "set_timestamp");
        try {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema));
                st.execute("CREATE OR REPLACE FUNCTION " + function.quoted() + "() RETURNS trigger LANGUAGE plpgsql "
                        + "AS $f$ BEGIN NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], "
                        + "clock_timestamp())); RETURN NEW; END $f$");
            }
            if (present(c, function, t)) {
                return;
            }
            String ddlSql;
            // the column name is a trigger argument, a string literal: let the server quote it
            try (PreparedStatement ps = c.prepareStatement("SELECT format('CREATE OR REPLACE TRIGGER %I BEFORE INSERT "
                    + "OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s(%L)', ?, ?, ?, ?)")) {
                ps.setString(1, TRIGGER);
                ps.setString(2, t.id().quoted());
                ps.setString(3, function.quoted());
                ps.setString(4, t.timestampColumn());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    ddlSql = rs.getString(1);
                }
            }
            ddl.run(c, "install trigger " + TRIGGER + " on " + t.id(), List.of(t.id()), tx -> {
                try (Statement st = tx.createStatement()) {
                    st.execute(ddlSql);
                }
            });
            LOG.info("Installed trigger {} on {}: it sets {} to clock_timestamp() on every insert and update",
                    TRIGGER, t.id(), t.timestampColumn());
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new CdcException("cdc.timestamp.install-trigger=true needs to own " + t.id() + " and to create "
                        + "objects in schema " + TableId.quote(schema) + " (" + e.getMessage() + "): run the source "
                        + "once as the table owner, or create the trigger yourself, or set "
                        + "cdc.timestamp.install-trigger=false.", e);
            }
            throw e;
        }
    }

    /**
     * Whether {@code t} has the trigger already as installed: calling {@code function} for its
     * timestamp column on every insert and update (not only of some columns), enabled for
     * ordinary sessions.
     */
    private static boolean present(Connection c, TableId function, CapturedTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT EXISTS (
                  SELECT FROM pg_catalog.pg_trigger tg
                  WHERE tg.tgrelid = ?::pg_catalog.regclass AND tg.tgname = ? AND NOT tg.tgisinternal
                    AND tg.tgfoid = pg_catalog.to_regprocedure(?) AND tg.tgtype = ? AND tg.tgqual IS NULL
                    AND tg.tgenabled IN ('O', 'A') AND tg.tgattr = ''::pg_catalog.int2vector AND tg.tgnargs = 1
                    AND tg.tgargs = pg_catalog.convert_to(?, pg_catalog.getdatabaseencoding()) || '\\x00'::pg_catalog.bytea)""")) {
            ps.setString(1, t.id().quoted());
            ps.setString(2, TRIGGER);
            ps.setString(3, function.quoted() + "()");
            ps.setInt(4, TRIGGER_TYPE);
            ps.setString(5, t.timestampColumn());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
