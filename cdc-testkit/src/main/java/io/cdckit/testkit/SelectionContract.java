package io.cdckit.testkit;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract cases of choosing and shaping what is captured, which every strategy passes
 * the same way: key columns configured for a table without a primary key
 * ({@code cdc.key.columns}) and the errors that name the fix when a table cannot be keyed;
 * excluded, hashed, replaced and truncated columns ({@code cdc.columns.*}), in the events and in
 * their JSON, and the errors for columns that do not exist or cannot be masked; row filters
 * ({@code cdc.filter.*}) with updates moving rows in and out; partitioned tables, whose
 * partitions' changes arrive as the partitioned table's, partitions attached later included.
 */
public abstract class SelectionContract extends SnapshotKeysContract {

    @Test
    void aTableWithoutPrimaryKeyIsKeyedByItsConfiguredKeyColumns() {
        TableId t = table("nopk");
        db.execute("CREATE TABLE " + t.quoted() + " (order_no int NOT NULL, line int NOT NULL, item text,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE UNIQUE INDEX ON " + t.quoted() + " (order_no, line)",
                "INSERT INTO " + t.quoted() + " (order_no, line, item) VALUES (1, 1, 'before start')");
        boolean snapshots = capabilities().snapshots();
        CdcConfig config = config("nopk", t).toBuilder().set("cdc.snapshot.mode", snapshots ? "initial" : "never")
                .set("cdc.key.columns", t + ":order_no,line").build();
        CapturedEvents captured = new CapturedEvents();
        start(config, OffsetStores.memory(), captured);
        if (snapshots) {
            // the snapshot reads the table in the order of the configured key
            captured.awaitAtLeast(1, e -> e.op().code().equals("r"), waitTime());
        }

        db.execute("INSERT INTO " + t.quoted() + " (order_no, line, item) VALUES (1, 2, 'tea'), (2, 1, 'milk')");
        captured.awaitAtLeast(1, e -> "milk".equals(e.row() == null ? null : e.row().get("item")), waitTime());
        db.execute("UPDATE " + t.quoted() + " SET item = 'green tea', updated_at = clock_timestamp() "
                + "WHERE order_no = 1 AND line = 2");
        captured.awaitAtLeast(1, e -> "green tea".equals(e.row() == null ? null : e.row().get("item")), waitTime());
        if (capabilities().deletes()) {
            db.execute("DELETE FROM " + t.quoted() + " WHERE order_no = 2");
            captured.awaitAtLeast(1, e -> e.op().code().equals("d"), waitTime());
        }
        settle();
        List<ChangeEvent> events = captured.events();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.key()).as("key of %s", e).containsOnlyKeys("order_no", "line");
            if (e.row() != null) {
                assertThat(e.key()).isEqualTo(Map.of("order_no", e.row().get("order_no"), "line", e.row().get("line")));
            }
        });
        assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("order_no") + "/" + e.key().get("line"))
                .contains("c:2/1", "u:1/2");
        if (snapshots) {
            assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("order_no") + "/" + e.key().get("line"))
                    .contains("r:1/1");
        }
        if (capabilities().deletes()) {
            assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("order_no") + "/" + e.key().get("line"))
                    .contains("d:2/1");
        }
    }

    @Test
    void aTableThatCannotBeKeyedIsRefusedNamingBothFixes() {
        TableId t = table("nokey");
        db.execute("CREATE TABLE " + t.quoted() + " (code text, note text,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        assertThatThrownBy(() -> start(config("nokey", t), OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("has no primary key")
                .hasMessageContaining("ADD PRIMARY KEY").hasMessageContaining("cdc.key.columns");

        CdcConfig nullable = config("nokey", t).toBuilder().set("cdc.key.columns", t + ":code").build();
        assertThatThrownBy(() -> start(nullable, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("allows NULL").hasMessageContaining("SET NOT NULL");

        db.execute("ALTER TABLE " + t.quoted() + " ALTER COLUMN code SET NOT NULL");
        assertThatThrownBy(() -> start(nullable, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("no unique index")
                .hasMessageContaining("CREATE UNIQUE INDEX ON " + t.quoted() + " (\"code\")");

        CdcConfig missing = config("nokey", t).toBuilder().set("cdc.key.columns", t + ":kode").build();
        assertThatThrownBy(() -> start(missing, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.key.columns names column 'kode'")
                .hasMessageContaining("code, note, updated_at");
    }

    @Test
    void excludedColumnsAreAbsentAndMaskedOnesMaskedInEveryEvent() {
        TableId t = table("pii");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, email text, ssn text, name text, note text,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "INSERT INTO " + t.quoted() + " (id, email, ssn, name, note) VALUES (1, 'a@example.com', '078-05-1120', "
                        + "'Ada', 'a rather long note')");
        boolean snapshots = capabilities().snapshots();
        CdcConfig config = config("pii", t).toBuilder().set("cdc.snapshot.mode", snapshots ? "initial" : "never")
                .set("cdc.columns.exclude", t + ":ssn")
                .set("cdc.columns.mask.hash", t + ":email")
                .set("cdc.columns.mask.salt", "pepper")
                .set("cdc.columns.mask.replace", t + ":name")
                .set("cdc.columns.truncate", t + ":note")
                .set("cdc.columns.truncate.length", "8").build();
        CapturedEvents captured = new CapturedEvents();
        start(config, OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id, email, ssn, name, note) VALUES (2, 'b@example.com', "
                + "'219-09-9999', 'Bob', NULL)");
        captured.awaitAtLeast(1, e -> Integer.valueOf(2).equals(e.key().get("id")), waitTime());
        db.execute("UPDATE " + t.quoted() + " SET email = 'a@example.com', ssn = '000-00-0000', "
                + "updated_at = clock_timestamp() WHERE id = 2");
        String hashOfA = sha256Hex("pepper" + "a@example.com");
        captured.awaitAtLeast(1, e -> Integer.valueOf(2).equals(e.key().get("id")) && e.after() != null
                && hashOfA.equals(e.after().get("email")), waitTime());
        settle();
        List<ChangeEvent> events = captured.events();
        assertThat(events).isNotEmpty().allSatisfy(e -> {
            for (Map<String, Object> image : java.util.Arrays.asList(e.before(), e.after())) {
                if (image == null) {
                    continue;
                }
                assertThat(image).doesNotContainKey("ssn").containsKeys("id", "email", "name", "note");
                assertThat(image.get("name")).isEqualTo("*****");
                assertThat((String) image.get("email")).hasSize(64).doesNotContain("@");
            }
            String json = io.cdckit.api.ChangeEventJson.write(e);
            assertThat(json).doesNotContain("078-05-1120").doesNotContain("219-09-9999")
                    .doesNotContain("000-00-0000").doesNotContain("@example.com").doesNotContain("ssn");
        });
        ChangeEvent last = events.stream().filter(e -> Integer.valueOf(2).equals(e.key().get("id")))
                .reduce((a, b) -> b).orElseThrow();
        assertThat(last.after().get("email")).as("hashes are stable, so equal values still join").isEqualTo(hashOfA);
        assertThat(last.after().get("note")).isNull();
        if (snapshots) {
            ChangeEvent read = events.stream().filter(e -> e.op().code().equals("r")).findFirst().orElseThrow();
            assertThat(read.after().get("email")).isEqualTo(hashOfA);
            assertThat(read.after().get("note")).isEqualTo("a rather");
        }
    }

    @Test
    void columnsThatDoNotExistOrCannotBeMaskedAreRefusedAtStart() {
        TableId t = table("cols");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, email text, age int,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        CdcConfig unknown = config("cols", t).toBuilder().set("cdc.columns.exclude", t + ":emial").build();
        assertThatThrownBy(() -> start(unknown, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.columns.exclude names column 'emial'")
                .hasMessageContaining("id, email, age, updated_at");
        CdcConfig key = config("cols", t).toBuilder().set("cdc.columns.exclude", t + ":id").build();
        assertThatThrownBy(() -> start(key, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("a key column");
        CdcConfig number = config("cols", t).toBuilder().set("cdc.columns.mask.replace", t + ":age").build();
        assertThatThrownBy(() -> start(number, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("type int4")
                .hasMessageContaining("cdc.columns.exclude instead");
        CdcConfig unsalted = config("cols", t).toBuilder().set("cdc.columns.mask.hash", t + ":email").build();
        assertThatThrownBy(() -> start(unsalted, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("needs cdc.columns.mask.salt");
    }

    private static String sha256Hex(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aRowFilterTurnsUpdatesMovingRowsOutIntoDeletesAndInIntoInserts() {
        org.junit.jupiter.api.Assumptions.assumeTrue(capabilities().partitionsAndRowFilters(), "strategy declares row filters");
        TableId t = table("filter");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, status text NOT NULL, qty int,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "INSERT INTO " + t.quoted() + " (id, status) VALUES (1, 'open'), (2, 'draft')");
        boolean snapshots = capabilities().snapshots();
        CdcConfig config = config("filter", t).toBuilder().set("cdc.snapshot.mode", snapshots ? "initial" : "never")
                .set("cdc.filter." + t, "status <> 'draft'").build();
        CapturedEvents captured = new CapturedEvents();
        start(config, OffsetStores.memory(), captured);
        if (snapshots) {
            captured.awaitAtLeast(1, e -> e.op().code().equals("r"), waitTime());
        }
        String set = ", updated_at = clock_timestamp() WHERE id = ";
        step(captured, "c:3", "INSERT INTO " + t.quoted() + " (id, status) VALUES (3, 'open'), (4, 'draft')");
        step(captured, "c:4", "UPDATE " + t.quoted() + " SET status = 'open'" + set + 4);
        step(captured, "d:1", "UPDATE " + t.quoted() + " SET status = 'draft'" + set + 1);
        step(captured, "u:3", "UPDATE " + t.quoted() + " SET qty = 5" + set + 3);
        db.execute("DELETE FROM " + t.quoted() + " WHERE id = 2");
        if (capabilities().deletes()) {
            step(captured, "d:3", "DELETE FROM " + t.quoted() + " WHERE id = 3");
        }
        settle();
        List<String> seen = captured.events().stream().map(e -> e.op().code() + ":" + e.key().get("id")).toList();
        List<String> expected = new java.util.ArrayList<>();
        if (snapshots) {
            expected.add("r:1");
        }
        expected.addAll(List.of("c:3", "c:4", "d:1", "u:3"));
        if (capabilities().deletes()) {
            expected.add("d:3");
        }
        assertThat(seen).as("a draft row never arrives; moving out is a delete, moving in an insert")
                .containsExactlyElementsOf(expected);
        ChangeEvent movedIn = captured.events().stream().filter(e -> (e.op().code() + ":" + e.key().get("id"))
                .equals("c:4")).findFirst().orElseThrow();
        assertThat(movedIn.after()).containsEntry("status", "open");
        assertThat(movedIn.before()).isNull();
    }

    @Test
    void aRowFilterThatDoesNotRunIsRefusedAtStartNamingTheKey() {
        org.junit.jupiter.api.Assumptions.assumeTrue(capabilities().partitionsAndRowFilters(), "strategy declares row filters");
        TableId t = table("badfilter");
        createStandardTable(t);
        CdcConfig bad = config("badfilter", t).toBuilder().set("cdc.filter." + t, "stauts = 'x'").build();
        assertThatThrownBy(() -> start(bad, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.filter." + t)
                .hasMessageContaining("stauts");
    }

    private void step(CapturedEvents captured, String expected, String sql) {
        db.execute(sql);
        captured.awaitAtLeast(1, e -> (e.op().code() + ":" + e.key().get("id")).equals(expected), waitTime());
    }

    @Test
    void changesOfEveryPartitionArriveAsThePartitionedTablesIncludingOnesAttachedLater() {
        org.junit.jupiter.api.Assumptions.assumeTrue(capabilities().partitionsAndRowFilters(),
                "strategy declares partitioned tables");
        TableId t = table("parted");
        TableId nord = new TableId(t.schema(), t.table() + "_nord");
        TableId sued = new TableId(t.schema(), t.table() + "_sued");
        db.execute("CREATE TABLE " + t.quoted() + " (id int NOT NULL, region text NOT NULL, qty int,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (id, region))"
                        + " PARTITION BY LIST (region)",
                "CREATE TABLE " + nord.quoted() + " PARTITION OF " + t.quoted() + " FOR VALUES IN ('nord')",
                "INSERT INTO " + t.quoted() + " (id, region, qty) VALUES (1, 'nord', 1)");
        boolean snapshots = capabilities().snapshots();
        CdcConfig config = config("parted", t).toBuilder().set("cdc.snapshot.mode", snapshots ? "initial" : "never")
                .build();
        CapturedEvents captured = new CapturedEvents();
        start(config, OffsetStores.memory(), captured);
        if (snapshots) {
            captured.awaitAtLeast(1, e -> e.op().code().equals("r"), waitTime());
        }
        step(captured, "c:2", "INSERT INTO " + t.quoted() + " (id, region, qty) VALUES (2, 'nord', 1)");
        db.execute("CREATE TABLE " + sued.quoted() + " (LIKE " + t.quoted() + " INCLUDING DEFAULTS)",
                "ALTER TABLE " + t.quoted() + " ATTACH PARTITION " + sued.quoted() + " FOR VALUES IN ('süd')");
        step(captured, "c:3", "INSERT INTO " + t.quoted() + " (id, region, qty) VALUES (3, 'süd', 1)");
        step(captured, "u:3", "UPDATE " + t.quoted() + " SET qty = 2, updated_at = clock_timestamp() WHERE id = 3");
        if (capabilities().deletes()) {
            step(captured, "d:2", "DELETE FROM " + t.quoted() + " WHERE id = 2");
        }
        settle();
        assertThat(captured.events()).isNotEmpty().allSatisfy(e -> assertThat(e.table()).isEqualTo(t));
        ChangeEvent attached = captured.events().stream().filter(e -> e.op().code().equals("c")
                && Integer.valueOf(3).equals(e.key().get("id"))).findFirst().orElseThrow();
        assertThat(attached.after()).containsEntry("region", "süd").containsEntry("qty", 1);
        assertThat(attached.key()).containsOnlyKeys("id", "region");
    }

    @Test
    void tablesMatchingAPatternAreCapturedAlsoWhenCreatedLater() {
        if (!capabilities().tablePatterns()) {
            return;
        }
        String schema = "pat_" + (testName.length() > 40 ? testName.substring(0, 40) : testName);
        TableId first = new TableId(schema, "orders");
        TableId later = new TableId(schema, "returns");
        TableId skipped = new TableId(schema, "skip_scratch");
        db.execute("CREATE SCHEMA \"" + schema + "\"");
        createStandardTable(first);
        db.execute("INSERT INTO " + first.quoted() + " (id, name) VALUES (1, 'there at start')");
        boolean snapshots = capabilities().snapshots();
        CdcConfig config = config("patterns", first).toBuilder().set("cdc.tables", null)
                .set("cdc.tables.include", schema + "\\..*").set("cdc.tables.exclude", schema + "\\.skip_.*")
                .set("cdc.tables.refresh-interval", "200ms")
                .set("cdc.snapshot.mode", snapshots ? "initial" : "never").build();
        CapturedEvents captured = new CapturedEvents();
        start(config, OffsetStores.memory(), captured);
        if (snapshots) {
            captured.awaitAtLeast(1, e -> e.op().code().equals("r") && e.table().equals(first), waitTime());
        }
        db.execute("INSERT INTO " + first.quoted() + " (id, name) VALUES (2, 'streamed')");
        captured.awaitAtLeast(1, e -> e.table().equals(first) && e.op().code().equals("c"), waitTime());

        // created while the source runs: picked up within the refresh interval, the excluded one never
        createStandardTable(later);
        createStandardTable(skipped);
        db.execute("INSERT INTO " + later.quoted() + " (id, name) VALUES (1, 'before pickup')",
                "INSERT INTO " + skipped.quoted() + " (id, name) VALUES (1, 'never')");
        if (snapshots) {
            captured.awaitAtLeast(1, e -> e.table().equals(later) && e.op().code().equals("r"), waitTime());
        }
        org.awaitility.Awaitility.await().atMost(waitTime()).pollInterval(java.time.Duration.ofMillis(200))
                .until(() -> {
                    db.execute("INSERT INTO " + later.quoted() + " (id, name) VALUES (" + (int) (Math.random() * 1e9)
                            + " + 100, 'after pickup')");
                    return !captured.events(e -> later.equals(e.table()) && e.op().code().equals("c")).isEmpty();
                });
        db.execute("INSERT INTO " + skipped.quoted() + " (id, name) VALUES (2, 'never')",
                "INSERT INTO " + first.quoted() + " (id, name) VALUES (3, 'last')");
        captured.awaitAtLeast(1, e -> first.equals(e.table()) && Integer.valueOf(3).equals(e.key().get("id")),
                waitTime());
        settle();
        assertThat(captured.events()).noneMatch(e -> skipped.equals(e.table()));
        if (snapshots) {
            assertThat(captured.events(e -> later.equals(e.table()) && e.op().code().equals("r")))
                    .extracting(e -> e.row().get("name")).contains("before pickup");
        }
    }

    @Test
    void aPatternThatMatchesNoTableIsRefusedNamingIt() {
        if (!capabilities().tablePatterns()) {
            return;
        }
        TableId t = table("unused");
        CdcConfig config = config("nomatch", t).toBuilder().set("cdc.tables", null)
                .set("cdc.tables.include", "no_such_schema\\..*").build();
        assertThatThrownBy(() -> start(config, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.tables.include")
                .hasMessageContaining("matches no table");
    }

    @Test
    void aRowFilterOnALeftOutColumnIsRefusedNamingBoth() {
        if (!capabilities().partitionsAndRowFilters()) {
            return;
        }
        TableId t = table("filtered_secret");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, name text, ssn text,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        CdcConfig config = config("filter-left-out", t).toBuilder().set("cdc.columns.exclude", t + ":ssn")
                .set("cdc.filter." + t, "ssn IS NOT NULL").build();
        assertThatThrownBy(() -> start(config, OffsetStores.memory(), new CapturedEvents()))
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.filter." + t)
                .hasMessageContaining("leaves out");
    }
}
