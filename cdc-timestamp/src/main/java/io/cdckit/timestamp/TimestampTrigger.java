package io.cdckit.timestamp;

import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Trigger-assisted mode: a {@code BEFORE INSERT OR UPDATE} trigger that sets the timestamp column
 * to {@code clock_timestamp()} on every write, so the column is maintained by the server whatever
 * the application writes, which is what the watermark's safety rests on.
 */
final class TimestampTrigger {

    private static final Logger LOG = LoggerFactory.getLogger(TimestampTrigger.class);
    static final String TRIGGER = "cdckit_timestamp";

    private TimestampTrigger() {
    }

    /** Installs (or replaces) the function in {@code schema} and the trigger on {@code t}. */
    static void install(Connection c, String schema, CapturedTable t) throws SQLException {
        TableId function = new TableId(schema, "set_timestamp");
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(schema));
            st.execute("CREATE OR REPLACE FUNCTION " + function.quoted() + "() RETURNS trigger LANGUAGE plpgsql AS $f$"
                    + " BEGIN NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], clock_timestamp()));"
                    + " RETURN NEW; END $f$");
            String ddl;
            // the column name is a trigger argument, a string literal: let the server quote it
            try (PreparedStatement ps = c.prepareStatement("SELECT format('CREATE OR REPLACE TRIGGER %I BEFORE INSERT "
                    + "OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s(%L)', ?, ?, ?, ?)")) {
                ps.setString(1, TRIGGER);
                ps.setString(2, t.id().quoted());
                ps.setString(3, function.quoted());
                ps.setString(4, t.timestampColumn());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    ddl = rs.getString(1);
                }
            }
            st.execute(ddl);
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
}
