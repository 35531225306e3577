package io.cdckit.timestamp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which indexes serve the poll's (timestamp, key) order, the warning when none does, and that with
 * the advised index a page in the middle of a large group of rows sharing one timestamp reads only
 * that page.
 */
@PostgresTest
class PollIndexTest {

    private static final int TIES = 50_000;
    private static final int PAGE = 100;

    private static String advice(TestDatabase db, TableId t) throws Exception {
        TimestampSettings settings = TimestampSettings.from(new RunningSources(db).config("idx", Map.of(), t));
        try (Connection c = db.connect()) {
            return CapturedTable.load(c, t, settings).indexAdvice(c);
        }
    }

    private static TableId table(TestDatabase db, String name, String key, String... indexes) {
        TableId t = new TableId("public", name);
        List<String> sql = new ArrayList<>();
        sql.add("CREATE TABLE " + t.quoted() + " (" + key + ", note text,"
                + " updated_at timestamptz NOT NULL DEFAULT now())");
        for (String columns : indexes) {
            sql.add("CREATE INDEX ON " + t.quoted() + " " + columns);
        }
        db.execute(sql.toArray(new String[0]));
        return t;
    }

    @Test
    void onlyAnIndexLeadingWithTheTimestampThenTheKeyServesThePolls(TestDatabase db) throws Exception {
        String id = "id int PRIMARY KEY";
        assertThat(advice(db, table(db, "idx_none", id))).contains("every poll reads the whole table")
                .endsWith("CREATE INDEX CONCURRENTLY ON \"public\".\"idx_none\" (\"updated_at\", \"id\");");
        assertThat(advice(db, table(db, "idx_ts_only", id, "(updated_at)")))
                .contains("sorts all the rows that share the timestamp")
                .contains("CREATE INDEX idx_ts_only_updated_at_idx ON public.idx_ts_only USING btree (updated_at)")
                .endsWith("CREATE INDEX CONCURRENTLY ON \"public\".\"idx_ts_only\" (\"updated_at\", \"id\");");
        assertThat(advice(db, table(db, "idx_right", id, "(updated_at, id)"))).isNull();
        assertThat(advice(db, table(db, "idx_more", id, "(updated_at, id, note)"))).isNull();
        assertThat(advice(db, table(db, "idx_backwards", id, "(updated_at DESC, id DESC)"))).isNull();
        assertThat(advice(db, table(db, "idx_mixed", id, "(updated_at, id DESC)"))).isNotNull();
        assertThat(advice(db, table(db, "idx_partial", id, "(updated_at, id) WHERE id > 0"))).isNotNull();
        assertThat(advice(db, table(db, "idx_key_first", id, "(id, updated_at)"))).contains("whole table");
        assertThat(advice(db, table(db, "idx_hash", id, "USING hash (updated_at)"))).isNotNull();

        String composite = "a int, b text, PRIMARY KEY (a, b)";
        assertThat(advice(db, table(db, "idx_swapped", composite, "(updated_at, b, a)")))
                .endsWith("(\"updated_at\", \"a\", \"b\");");
        assertThat(advice(db, table(db, "idx_composite", composite, "(updated_at, a, b)"))).isNull();
        assertThat(advice(db, table(db, "idx_collation", composite, "(updated_at, a, b COLLATE \"POSIX\")")))
                .as("another collation orders the key otherwise").isNotNull();
    }

    @Test
    void withTheAdvisedIndexAPageInsideALargeTieReadsOnlyThePage(TestDatabase db) throws Exception {
        TableId t = table(db, "ties", "id int PRIMARY KEY", "(updated_at, id)");
        // one statement, one now(): a bulk load whose rows all share one timestamp
        db.execute("INSERT INTO " + t.quoted() + " (id) SELECT g FROM generate_series(1, " + TIES + ") g",
                "ANALYZE " + t.quoted());
        String ts = db.queryForString("SELECT min(updated_at)::text FROM " + t.quoted());
        assertThat(db.queryForLong("SELECT count(DISTINCT updated_at) FROM " + t.quoted())).isEqualTo(1);
        TimestampSettings settings = TimestampSettings.from(new RunningSources(db).config("ties", Map.of(), t));
        try (Connection c = db.connect()) {
            CapturedTable table = CapturedTable.load(c, t, settings);
            assertThat(table.indexAdvice(c)).isNull();
            new KeyShadow(settings.stateSchema(), "ties").prepare(c, table);
            // a page in the middle of the tie: after (ts, 30000)
            TablePosition middle = new TablePosition(ts, List.of("30000"), false);
            JsonNode plan;
            try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, FORMAT JSON) " + table.pollSql(middle))) {
                int i = table.bindLower(ps, 1, middle);
                ps.setString(i++, "infinity");
                ps.setInt(i, PAGE);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    plan = new ObjectMapper().readTree(rs.getString(1)).get(0).get("Plan");
                }
            }
            List<String> nodes = new ArrayList<>();
            long[] maxRows = {0};
            walk(plan, nodes, maxRows);
            assertThat(plan.get("Actual Rows").asLong()).isEqualTo(PAGE);
            assertThat(nodes).as("plan %s", plan).noneMatch(n -> n.contains("Sort"));
            assertThat(maxRows[0]).as("rows any step of the plan read, for a page of %s in a tie of %s (plan %s)",
                    PAGE, TIES, plan).isLessThanOrEqualTo(PAGE + 1);
        }
    }

    private static void walk(JsonNode node, List<String> types, long[] maxRows) {
        types.add(node.get("Node Type").asText());
        maxRows[0] = Math.max(maxRows[0], node.get("Actual Rows").asLong() * node.get("Actual Loops").asLong()
                + node.path("Rows Removed by Filter").asLong());
        for (JsonNode child : node.path("Plans")) {
            walk(child, types, maxRows);
        }
    }
}
