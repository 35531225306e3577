package io.cdckit.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.TableId;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The replica verifier against a real PostgreSQL: what it applies, and that it notices what is wrong. */
@PostgresTest
class ReplicaVerifierTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static long sequence;

    // ---- many types ----------------------------------------------------------------------------

    private static final TableId TYPES = new TableId("public", "all_types");

    private static final List<String> TYPE_COLUMNS = List.of("id", "c_int2", "c_int4", "c_numeric", "c_float8",
            "c_float4", "c_bool", "c_text", "c_varchar", "c_uuid", "c_bytea", "c_date", "c_time", "c_ts", "c_tstz",
            "c_jsonb", "c_json", "c_int_arr", "c_text_arr", "c_int_2d", "c_interval", "c_mood");

    @Test
    void replaysInsertsUpdatesDeletesAndTruncatesOfManyTypes(TestDatabase db) throws Exception {
        db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE TABLE public.all_types (id int8 PRIMARY KEY, c_int2 int2, c_int4 int4,"
                        + " c_numeric numeric(14,4), c_float8 float8, c_float4 float4, c_bool bool, c_text text,"
                        + " c_varchar varchar(40), c_uuid uuid, c_bytea bytea, c_date date, c_time time,"
                        + " c_ts timestamp, c_tstz timestamptz, c_jsonb jsonb, c_json json, c_int_arr int4[],"
                        + " c_text_arr text[], c_int_2d int4[], c_interval interval, c_mood mood)");
        // a zone off UTC by a fraction of an hour, so that a time stamp bound without its offset shows
        Callable<Connection> offUtc = () -> {
            Connection c = db.connect();
            try (Statement st = c.createStatement()) {
                st.execute("SET TIME ZONE 'Asia/Kathmandu'");
            }
            return c;
        };
        try (ReplicaVerifier verifier = ReplicaVerifier.create(offUtc, TYPES, "replica")) {
            assertThat(verifier.replica()).isEqualTo(new TableId("replica", "all_types"));
            assertThat(verifier.primaryKey()).containsExactly("id");

            String text = "it's \"quoted\", ünïcödé ✓ 😀 and a \\ backslash";
            UUID uuid = UUID.fromString("6f1c2a52-0b7e-4f3a-9c1d-2e5b7a8c9d0e");
            db.execute("INSERT INTO public.all_types VALUES (1, -32768, 2147483647, 12345678.9012, 'NaN', 1.5, true,"
                    + " 'it''s \"quoted\", ünïcödé ✓ 😀 and a \\ backslash', 'varchar', '" + uuid + "',"
                    + " '\\x00ff10', '2024-02-29', '23:59:59.999999', '2024-01-02 03:04:05.678901',"
                    + " '2024-01-02 03:04:05.123456+00', '{\"b\": \"x\\\"y\", \"a\": [1, 2.5, null]}',"
                    + " '{\"k\":[true,false]}', '{1,NULL,3}',"
                    + " ARRAY['a,b', 'say \"hi\"', '{brace}', 'back\\slash', 'NULL', '', NULL, ' padded '],"
                    + " '{{1,2},{3,NULL}}', '1 day 02:03:04', 'happy')",
                    "INSERT INTO public.all_types VALUES (2, 7, NULL, 1000, '-Infinity', 'Infinity', false, '', NULL,"
                            + " NULL, '\\x', '0044-03-15 BC', '00:00', '0100-12-31 23:59:59 BC',"
                            + " '2024-06-30 23:59:59.000001+02', '[]', 'null', '{}', '{}', '{{5},{6}}', NULL, 'sad')",
                    "INSERT INTO public.all_types (id, c_text) VALUES (3, 'to be deleted')");
            Map<String, Object> row1 = typesRow(1L, (short) -32768, 2147483647, new BigDecimal("12345678.9012"),
                    Double.NaN, 1.5f, true, text, "varchar", uuid, new byte[] {0, (byte) 0xff, 0x10},
                    LocalDate.of(2024, 2, 29), LocalTime.of(23, 59, 59, 999_999_000),
                    LocalDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000), Instant.parse("2024-01-02T03:04:05.123456Z"),
                    JSON.readTree("{\"b\": \"x\\\"y\", \"a\": [1, 2.5, null]}"), JSON.readTree("{\"k\":[true,false]}"),
                    Arrays.asList(1, null, 3),
                    Arrays.asList("a,b", "say \"hi\"", "{brace}", "back\\slash", "NULL", "", null, " padded "),
                    List.of(List.of(1, 2), Arrays.asList(3, null)), "1 day 02:03:04", "happy");
            Map<String, Object> row2 = typesRow(2L, (short) 7, null, new BigDecimal("1E+3"), Double.NEGATIVE_INFINITY,
                    Float.POSITIVE_INFINITY, false, "", null, null, new byte[0], LocalDate.of(-43, 3, 15),
                    LocalTime.MIDNIGHT, LocalDateTime.of(-99, 12, 31, 23, 59, 59),
                    Instant.parse("2024-06-30T21:59:59.000001Z"), JSON.readTree("[]"), JSON.readTree("null"),
                    List.of(), List.of(), List.of(List.of(5), List.of(6)), null, "sad");
            Map<String, Object> row3 = new LinkedHashMap<>();
            for (String c : TYPE_COLUMNS) {
                row3.put(c, null);
            }
            row3.put("id", 3L);
            row3.put("c_text", "to be deleted");

            List<ChangeEvent> events = new ArrayList<>();
            events.add(insert(TYPES, row1));
            events.add(insert(TYPES, row2));
            events.add(insert(TYPES, row3));
            assertThat(verifier.apply(events)).isEqualTo(3);
            assertMatches(verifier.verify(), 3);

            // a full update, a partial one (only some columns in the after image), a delete by key
            db.execute("UPDATE public.all_types SET c_int4 = -1, c_float8 = 0.1, c_text = 'changed',"
                            + " c_tstz = '0001-01-01 00:00:00.5+00 BC', c_int_arr = '{NULL}', c_numeric = -0.0001 WHERE id = 1",
                    "UPDATE public.all_types SET c_text = 'partial ''update''', c_int_2d = '{{7,8,9}}' WHERE id = 2",
                    "DELETE FROM public.all_types WHERE id = 3");
            Map<String, Object> row1b = new LinkedHashMap<>(row1);
            row1b.put("c_int4", -1);
            row1b.put("c_float8", 0.1);
            row1b.put("c_text", "changed");
            row1b.put("c_tstz", Instant.parse("0000-01-01T00:00:00.500Z"));
            row1b.put("c_int_arr", Arrays.asList((Object) null));
            row1b.put("c_numeric", new BigDecimal("-0.0001"));
            Map<String, Object> partial = new LinkedHashMap<>();
            partial.put("id", 2L);
            partial.put("c_text", "partial 'update'");
            partial.put("c_int_2d", List.of(List.of(7, 8, 9)));
            assertThat(verifier.apply(List.of(update(TYPES, row1, row1b), update(TYPES, null, partial),
                    delete(TYPES, row3, Map.of("id", 3L))))).isEqualTo(3);
            assertMatches(verifier.verify(), 2);

            // truncate, then a new row
            db.execute("TRUNCATE public.all_types", "INSERT INTO public.all_types (id, c_bool) VALUES (4, true)");
            Map<String, Object> row4 = new LinkedHashMap<>();
            row4.put("id", 4L);
            row4.put("c_bool", true);
            verifier.apply(List.of(truncate(TYPES), insert(TYPES, row4)));
            assertMatches(verifier.verify(), 1);
        }
    }

    private static Map<String, Object> typesRow(Object... values) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            row.put(TYPE_COLUMNS.get(i), values[i]);
        }
        return row;
    }

    // ---- what it notices -----------------------------------------------------------------------

    /** A simple table and a stream of events for it, made alongside the same changes in SQL. */
    private static List<ChangeEvent> simpleHistory(TestDatabase db, TableId table) {
        db.execute("CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, v text, n int)",
                "INSERT INTO " + table.quoted() + " VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)",
                "UPDATE " + table.quoted() + " SET v = 'one b', n = 10 WHERE id = 1",
                "UPDATE " + table.quoted() + " SET v = 'one c', n = 11 WHERE id = 1",
                "DELETE FROM " + table.quoted() + " WHERE id = 3",
                "UPDATE " + table.quoted() + " SET id = 5, v = 'two moved' WHERE id = 2");
        return new ArrayList<>(List.of(
                insert(table, simple(1, "one", 1)),
                insert(table, simple(2, "two", 2)),
                insert(table, simple(3, "three", 3)),
                update(table, null, simple(1, "one b", 10)),
                update(table, null, simple(1, "one c", 11)),
                delete(table, null, Map.of("id", 3)),
                update(table, simple(2, "two", 2), simple(5, "two moved", 2))));
    }

    private static Map<String, Object> simple(int id, String v, Integer n) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("v", v);
        row.put("n", n);
        return row;
    }

    @Test
    void theCompleteHistoryMatches(TestDatabase db) {
        TableId table = new TableId("public", "complete");
        List<ChangeEvent> events = simpleHistory(db, table);
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            verifier.apply(events);
            assertMatches(verifier.verify(), 2);
        }
    }

    @Test
    void aMissingEventIsNoticed(TestDatabase db) {
        TableId table = new TableId("public", "missing_event");
        List<ChangeEvent> events = simpleHistory(db, table);
        events.remove(4); // the last update of id 1
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            verifier.apply(events);
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isFalse();
            assertThat(v.differingRows()).isEqualTo(1);
            assertThat(v.differences()).singleElement().satisfies(d -> {
                assertThat(d.kind()).isEqualTo(Verification.Kind.DIFFERENT);
                assertThat(d.key()).containsExactly(Map.entry("id", "1"));
                assertThat(d.sourceRow()).isEqualTo("(1,\"one c\",11)");
                assertThat(d.replicaRow()).isEqualTo("(1,\"one b\",10)");
            });
            assertThat(v.describe()).contains("does NOT match", "different: id=1");
        }
    }

    @Test
    void aMissingInsertAndAMissingDeleteAreNoticed(TestDatabase db) {
        TableId table = new TableId("public", "missing_rows");
        List<ChangeEvent> events = simpleHistory(db, table);
        events.remove(5); // the delete of id 3
        events.remove(0); // the insert of id 1
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            verifier.apply(events);
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isFalse();
            assertThat(v.sourceRows()).isEqualTo(2);
            assertThat(v.replicaRows()).isEqualTo(3);
            // id 1 still gets in through its later updates, which carry the whole row
            assertThat(v.differences()).extracting(Verification.Difference::kind, d -> d.key().get("id"))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(Verification.Kind.EXTRA_IN_REPLICA, "3"));
            assertThat(v.describe()).contains("extra in replica: id=3");
        }
        TableId lost = new TableId("public", "lost_insert");
        db.execute("CREATE TABLE " + lost.quoted() + " (id int PRIMARY KEY, v text, n int)",
                "INSERT INTO " + lost.quoted() + " VALUES (1, 'a', 1), (2, 'b', 2)");
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, lost, "replica")) {
            verifier.apply(List.of(insert(lost, simple(1, "a", 1))));
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isFalse();
            assertThat(v.differences()).singleElement().satisfies(d -> {
                assertThat(d.kind()).isEqualTo(Verification.Kind.MISSING_IN_REPLICA);
                assertThat(d.replicaRow()).isNull();
            });
            assertThat(v.describe()).contains("missing in replica: id=2");
        }
    }

    @Test
    void aDuplicatedStaleUpdateIsNoticed(TestDatabase db) {
        TableId table = new TableId("public", "stale_update");
        List<ChangeEvent> events = simpleHistory(db, table);
        events.add(events.get(3)); // the first update of id 1 again, after the second
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            verifier.apply(events);
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isFalse();
            assertThat(v.sourceRows()).isEqualTo(v.replicaRows());
            assertThat(v.describe()).contains("different: id=1");
        }
    }

    @Test
    void aWrongValueIsNoticed(TestDatabase db) {
        TableId table = new TableId("public", "wrong_value");
        List<ChangeEvent> events = simpleHistory(db, table);
        events.set(6, update(table, simple(2, "two", 2), simple(5, "two moved", 3)));
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            verifier.apply(events);
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isFalse();
            assertThat(v.sourceChecksum()).isNotEqualTo(v.replicaChecksum());
            assertThat(v.describe()).contains("different: id=5", "source (5,\"two moved\",2)",
                    "replica (5,\"two moved\",3)");
        }
    }

    @Test
    void manyDifferencesAreCountedAndTheFirstTenListed(TestDatabase db) {
        TableId table = new TableId("public", "many_differences");
        db.execute("CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, v text, n int)",
                "INSERT INTO " + table.quoted() + " SELECT g, 'v' || g, g FROM generate_series(1, 25) g");
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            Verification v = verifier.verify();
            assertThat(v.matches()).isFalse();
            assertThat(v.differingRows()).isEqualTo(25);
            assertThat(v.differences()).hasSize(10).extracting(d -> d.key().get("id"))
                    .containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
            assertThat(v.describe()).contains("25 keys differ, the first 10:", "missing in replica: id=10")
                    .doesNotContain("id=11");
        }
    }

    // ---- identifiers, other tables, refusals ---------------------------------------------------

    @Test
    void quotedSpacedUpperCaseAndUnicodeIdentifiersWork(TestDatabase db) {
        TableId table = new TableId("Mixed \"Schema\" ü", "Order \"Lines\" ✓");
        String lineId = "Line Id";
        String part = "Part\"No\"";
        String note = "Ünïcödé Nøte";
        db.execute("CREATE SCHEMA " + TableId.quote(table.schema()),
                "CREATE TABLE " + table.quoted() + " (" + TableId.quote(lineId) + " int, " + TableId.quote(part)
                        + " text, " + TableId.quote(note) + " text, \"t\" int, PRIMARY KEY (" + TableId.quote(part)
                        + ", " + TableId.quote(lineId) + "))",
                "INSERT INTO " + table.quoted() + " VALUES (1, 'p-1', 'first', 10), (2, 'p-1', 'second', 20)",
                "UPDATE " + table.quoted() + " SET " + TableId.quote(note) + " = 'second, changed' WHERE "
                        + TableId.quote(lineId) + " = 2",
                "DELETE FROM " + table.quoted() + " WHERE " + TableId.quote(lineId) + " = 1");
        String replicaSchema = "Replica \"Copy\" é";
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, replicaSchema)) {
            assertThat(verifier.primaryKey()).containsExactly(part, lineId);
            Map<String, Object> first = new LinkedHashMap<>();
            first.put(lineId, 1);
            first.put(part, "p-1");
            first.put(note, "first");
            first.put("t", 10);
            Map<String, Object> second = new LinkedHashMap<>(first);
            second.put(lineId, 2);
            second.put(note, "second");
            second.put("t", 20);
            Map<String, Object> secondChanged = new LinkedHashMap<>(second);
            secondChanged.put(note, "second, changed");
            Map<String, Object> key1 = new LinkedHashMap<>();
            key1.put(part, "p-1");
            key1.put(lineId, 1);
            verifier.apply(List.of(insert(table, first), insert(table, second), update(table, second, secondChanged),
                    delete(table, first, key1)));
            assertMatches(verifier.verify(), 1);

            Map<String, Object> wrong = new LinkedHashMap<>(secondChanged);
            wrong.put(note, "wrong");
            verifier.apply(List.of(update(table, null, wrong)));
            Verification v = verifier.verify();
            assertThat(v.matches()).as(v.describe()).isFalse();
            assertThat(v.describe()).contains("different: " + part + "=p-1, " + lineId + "=2");
        }
    }

    @Test
    void eventsOfOtherTablesAreSkippedAndBadEventsApplyNothing(TestDatabase db) {
        TableId table = new TableId("public", "skipping");
        TableId other = new TableId("public", "other");
        db.execute("CREATE TABLE " + table.quoted() + " (id int PRIMARY KEY, v text, n int)",
                "INSERT INTO " + table.quoted() + " VALUES (1, 'a', 1)");
        try (ReplicaVerifier verifier = ReplicaVerifier.create(db::connect, table, "replica")) {
            assertThat(verifier.apply(List.of(insert(other, simple(9, "x", 9)), insert(table, simple(1, "a", 1)),
                    truncate(other)))).isEqualTo(1);
            assertMatches(verifier.verify(), 1);

            Map<String, Object> unknown = simple(1, "b", 2);
            unknown.put("nope", 1);
            assertThatThrownBy(() -> verifier.apply(List.of(delete(table, null, Map.of("id", 1)),
                    insert(table, unknown)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
            assertThatThrownBy(() -> verifier.apply(List.of(delete(table, null, Map.of("id", 1)),
                    update(table, null, simple(1, "fine", null)), insert(table, Map.of("id", 2, "n", "x")))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("event #2");
            // neither failed call left anything behind
            assertMatches(verifier.verify(), 1);
        }
    }

    @Test
    void refusesTablesWithoutPrimaryKeyOrTheSameSchema(TestDatabase db) {
        db.execute("CREATE TABLE public.no_pk (id int, v text)");
        assertThatThrownBy(() -> ReplicaVerifier.create(db::connect, new TableId("public", "no_pk"), "replica"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no primary key");
        assertThatThrownBy(() -> ReplicaVerifier.create(db::connect, new TableId("public", "absent"), "replica"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ReplicaVerifier.create(db::connect, new TableId("public", "no_pk"), "public"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another schema");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void assertMatches(Verification v, long rows) {
        assertThat(v.matches()).as(v.describe()).isTrue();
        assertThat(v.sourceRows()).as(v.describe()).isEqualTo(rows);
        assertThat(v.replicaRows()).isEqualTo(rows);
        assertThat(v.differences()).isEmpty();
        assertThat(v.describe()).contains(" matches ");
    }

    static ChangeEvent insert(TableId table, Map<String, Object> after) {
        return event(table, Op.CREATE, null, after, keyOf(after));
    }

    static ChangeEvent update(TableId table, Map<String, Object> before, Map<String, Object> after) {
        return event(table, Op.UPDATE, before, after, keyOf(after));
    }

    static ChangeEvent delete(TableId table, Map<String, Object> before, Map<String, Object> key) {
        return event(table, Op.DELETE, before, null, key);
    }

    static ChangeEvent truncate(TableId table) {
        return event(table, Op.TRUNCATE, null, null, null);
    }

    private static Map<String, Object> keyOf(Map<String, Object> row) {
        Map<String, Object> key = new LinkedHashMap<>();
        for (String k : List.of("id", "Line Id", "Part\"No\"")) {
            if (row.containsKey(k)) {
                key.put(k, row.get(k));
            }
        }
        return key;
    }

    private static synchronized ChangeEvent event(TableId table, Op op, Map<String, Object> before,
                                                  Map<String, Object> after, Map<String, Object> key) {
        long seq = ++sequence;
        SourceInfo source = new SourceInfo("test", "hand", "replica-verifier-test", null, SourceInfo.SNAPSHOT_FALSE,
                "db", table.schema(), table.table(), null, null, null, Long.toString(seq));
        return new ChangeEvent(op, before, after, key, source, System.currentTimeMillis(), null,
                Position.of("seq", seq));
    }
}
