package io.cdckit.testkit;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.ColumnDecoder;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The chunked snapshot over keys of the types users key tables by: each table is read whole, each
 * row once, chunk after chunk in the order PostgreSQL sorts the key (the chunk boundaries are
 * compared in SQL, with the column's type and collation), for single and composite keys.
 */
public abstract class SnapshotKeysContract extends ContractTestSupport {

    /** Key column definitions and the expression (over {@code g}, 1..n) that fills them. */
    private static final List<String[]> KEYS = List.of(
            new String[] {"k uuid", "md5(g::text)::uuid"},
            new String[] {"k numeric(12,3)", "(g * 7 % 101 - 50) / 8.0"},
            new String[] {"k timestamptz", "timestamptz '2024-01-01 00:00:00+00' - (g * interval '37 minutes')"},
            new String[] {"k date", "date '2000-02-29' + (g * 13 % 97)"},
            new String[] {"k bytea", "decode(lpad(to_hex(g * 2654435761 % 4294967296), 8, '0'), 'hex')"},
            new String[] {"k text", "CASE WHEN g % 3 = 0 THEN 'B' WHEN g % 3 = 1 THEN 'a' ELSE 'ä' END || g"},
            new String[] {"k bigint", "g::bigint * 1000000007 % 999983 - 500000"},
            new String[] {"k date, j uuid", "date '2020-01-01' + g % 5, md5(g::text)::uuid"});
    private static final int ROWS = 23;

    @Test
    void chunkedSnapshotsReadKeysOfEveryKeyTypeInTheDatabasesOrder() throws SQLException {
        assumeTrue(capabilities().snapshots(), "the strategy takes no snapshots");
        List<TableId> tables = new ArrayList<>();
        for (int i = 0; i < KEYS.size(); i++) {
            String[] key = KEYS.get(i);
            TableId t = table("k" + i);
            tables.add(t);
            String columns = key[0].contains(", j ") ? "k, j" : "k";
            db.execute("CREATE TABLE " + t.quoted() + " (" + key[0] + ", v int NOT NULL, updated_at timestamptz NOT NULL "
                            + "DEFAULT clock_timestamp(), PRIMARY KEY (" + columns + "))",
                    "INSERT INTO " + t.quoted() + " (" + columns + ", v) SELECT " + key[1]
                            + ", g FROM generate_series(1, " + ROWS + ") g ON CONFLICT DO NOTHING");
        }
        CdcConfig config = config("keys", tables.toArray(TableId[]::new)).toBuilder()
                .set("cdc.snapshot.mode", "initial").set("cdc.snapshot.chunk-size", "4").build();
        CapturedEvents captured = new CapturedEvents();
        start(config, OffsetStores.memory(), captured);
        long expectedRows = 0;
        for (TableId t : tables) {
            expectedRows += db.queryForLong("SELECT count(*) FROM " + t.quoted());
        }
        long total = expectedRows;
        captured.awaitAtLeast((int) total, e -> e.op().code().equals("r"), waitTime());
        settle();
        for (int i = 0; i < tables.size(); i++) {
            TableId t = tables.get(i);
            boolean composite = KEYS.get(i)[0].contains(", j ");
            List<Object> read = new ArrayList<>();
            for (ChangeEvent e : captured.events()) {
                if (e.op().code().equals("r") && t.equals(e.table())) {
                    read.add(composite ? List.of(e.key().get("k"), e.key().get("j")) : e.key().get("k"));
                }
            }
            assertThat(read).as("keys of %s (%s) read by the snapshot, in the database's order", t, KEYS.get(i)[0])
                    .containsExactlyElementsOf(orderedKeys(t, composite));
        }
    }

    /** The table's keys as PostgreSQL orders them, decoded as the events decode them. */
    private List<Object> orderedKeys(TableId t, boolean composite) throws SQLException {
        List<Object> keys = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + (composite ? "k, j" : "k") + " FROM " + t.quoted()
                     + " ORDER BY " + (composite ? "k, j" : "k"))) {
            while (rs.next()) {
                keys.add(composite ? List.of(ColumnDecoder.decode(rs, 1), ColumnDecoder.decode(rs, 2))
                        : ColumnDecoder.decode(rs, 1));
            }
        }
        return keys;
    }
}
