package io.cdckit.faults;

import io.cdckit.api.TableId;
import io.cdckit.testkit.Workload;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The captured tables of a fault run and the ground truth they are judged by.
 *
 * <p>Two tables are captured: the testkit's workload table and a table of 1 MB TOASTed rows
 * that gets a column added mid-stream. An audit trigger on both writes every committed change
 * (table, key, op, and the row's {@code updated_at} as its version, the old one for deletes)
 * to {@code faults_history} in the same transaction, so the history holds exactly the
 * committed changes, in no particular order.
 */
final class FaultTables {

    static final String HISTORY = "public.faults_history";
    /** Each 1 MB body, made of md5 text so PostgreSQL cannot compress it inline. */
    static final int BLOB_BYTES = 1 << 20;

    final TableId workload;
    final TableId blobs;
    private final Callable<Connection> connections;

    FaultTables(Callable<Connection> connections, String prefix) {
        this.connections = connections;
        this.workload = new TableId("public", prefix + "_rows");
        this.blobs = new TableId("public", prefix + "_blobs");
    }

    /** Creates both tables and the audit history. */
    void create() {
        Workload.createTable(connections, workload);
        exec("CREATE TABLE " + blobs.quoted() + " (id bigint PRIMARY KEY, body text NOT NULL, version int NOT NULL,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "ALTER TABLE " + blobs.quoted() + " ALTER COLUMN body SET STORAGE EXTERNAL",
                "CREATE TABLE IF NOT EXISTS " + HISTORY + " (seq bigserial PRIMARY KEY, tbl text NOT NULL,"
                        + " id bigint NOT NULL, op char(1) NOT NULL, version timestamptz)",
                "CREATE OR REPLACE FUNCTION public.faults_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF TG_OP = 'DELETE' THEN INSERT INTO " + HISTORY + " (tbl, id, op, version)"
                        + "   VALUES (TG_TABLE_NAME, OLD.id, 'd', OLD.updated_at); RETURN OLD; END IF;"
                        + " INSERT INTO " + HISTORY + " (tbl, id, op, version) VALUES (TG_TABLE_NAME, NEW.id,"
                        + "   CASE TG_OP WHEN 'INSERT' THEN 'c' ELSE 'u' END, NEW.updated_at); RETURN NEW; END $$",
                "CREATE TRIGGER faults_audit AFTER INSERT OR UPDATE OR DELETE ON " + workload.quoted()
                        + " FOR EACH ROW EXECUTE FUNCTION public.faults_audit()",
                "CREATE TRIGGER faults_audit AFTER INSERT OR UPDATE OR DELETE ON " + blobs.quoted()
                        + " FOR EACH ROW EXECUTE FUNCTION public.faults_audit()");
    }

    /**
     * One round of writes to the TOASTed table: inserts two 1 MB rows, updates an older row's
     * version only (its unchanged TOASTed body is not in the WAL of that update), rewrites another
     * body, deletes one row; round 1 also adds a column, which later rounds fill.
     */
    void blobRound(int round) {
        long base = round * 10L;
        List<String> sql = new ArrayList<>();
        sql.add("INSERT INTO " + blobs.quoted() + " (id, body, version) VALUES (" + (base + 1) + ", " + body(base + 1)
                + ", 1), (" + (base + 2) + ", " + body(base + 2) + ", 1)");
        if (round > 0) {
            long older = base - 10;
            sql.add("UPDATE " + blobs.quoted() + " SET version = version + 1, updated_at = clock_timestamp()"
                    + " WHERE id = " + (older + 1));
            sql.add("UPDATE " + blobs.quoted() + " SET body = " + body(older + 2 + 1000) + ", version = version + 1,"
                    + " updated_at = clock_timestamp() WHERE id = " + (older + 2));
        }
        if (round == 1) {
            sql.add("ALTER TABLE " + blobs.quoted() + " ADD COLUMN extra text");
        }
        if (round >= 1) {
            sql.add("UPDATE " + blobs.quoted() + " SET extra = 'round " + round + " ✓', updated_at = clock_timestamp()"
                    + " WHERE id = " + (base + 1));
        }
        if (round >= 2) {
            sql.add("DELETE FROM " + blobs.quoted() + " WHERE id = " + (base - 20 + 1));
        }
        exec(sql.toArray(String[]::new));
    }

    private static String body(long seed) {
        // 32 hex characters per md5: 32768 of them make 1 MB
        return "(SELECT string_agg(md5('" + seed + "-' || g), '') FROM generate_series(1, " + (BLOB_BYTES / 32) + ") g)";
    }

    /** One committed change of the history. */
    record Change(String table, long id, String op, Instant version) { }

    /** Every committed change to the captured tables. */
    List<Change> history() {
        List<Change> out = new ArrayList<>();
        try (Connection c = connections.call(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT tbl, id, op, version FROM " + HISTORY + " ORDER BY seq")) {
            while (rs.next()) {
                OffsetDateTime v = rs.getObject(4, OffsetDateTime.class);
                out.add(new Change(rs.getString(1), rs.getLong(2), rs.getString(3), v == null ? null : v.toInstant()));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the history: " + e.getMessage(), e);
        }
        return out;
    }

    void exec(String... sql) {
        try (Connection c = connections.call(); Statement st = c.createStatement()) {
            for (String s : sql) {
                try {
                    st.execute(s);
                } catch (SQLException e) {
                    throw new IllegalStateException("failed: " + s.substring(0, Math.min(200, s.length())) + ": "
                            + e.getMessage(), e);
                }
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
