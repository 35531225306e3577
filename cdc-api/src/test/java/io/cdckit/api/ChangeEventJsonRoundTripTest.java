package io.cdckit.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Writing an event and reading it back gives the same event, with values of the same classes.
 * Also holds the comparison helpers the other codec tests use.
 */
class ChangeEventJsonRoundTripTest {

    // ---------------------------------------------------------------- helpers shared by the codec tests

    static final SourceInfo SOURCE = new SourceInfo("0.1.0", "log", "shop", 1_700_000_000_123L,
            SourceInfo.SNAPSHOT_FALSE, "shopdb", "public", "orders", 571L, 24_023_128L, 99L, "[\"1\",\"2\"]");

    static final Position POSITION = Position.of("lsn", 24_023_128L, "slot", "cdckit_shop");

    /** A map that keeps insertion order and allows nulls: row("id", 1, "name", null). */
    static Map<String, Object> row(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("row needs name/value pairs");
        }
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            row.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return row;
    }

    /** A list that allows nulls. */
    static List<Object> list(Object... elements) {
        return new ArrayList<>(Arrays.asList(elements));
    }

    static JsonNode json(String text) {
        try {
            return ChangeEventJson.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    /** An insert of one row with the given columns. */
    static ChangeEvent insert(Map<String, Object> after) {
        return new ChangeEvent(Op.CREATE, null, after, Map.of(), SOURCE, 1_700_000_000_456L, null, POSITION);
    }

    /**
     * Writes the event, reads it back and checks the result is the same event, by three paths:
     * text, tree, and text parsed by the shared mapper. Returns the written text.
     */
    static String assertRoundTrip(ChangeEvent event) {
        String text = ChangeEventJson.write(event);
        assertThat(text).doesNotContain("\n").doesNotContain("\r");
        assertSameEvent(ChangeEventJson.read(text), event);
        assertSameEvent(ChangeEventJson.fromJsonNode(ChangeEventJson.toJsonNode(event)), event);
        assertSameEvent(ChangeEventJson.fromJsonNode(json(text)), event);
        // writing the read event again gives the same text
        assertThat(ChangeEventJson.write(ChangeEventJson.read(text))).isEqualTo(text);
        return text;
    }

    /** Fails unless the events are equal, comparing column values deeply and by exact class. */
    static void assertSameEvent(ChangeEvent actual, ChangeEvent expected) {
        assertThat(actual.op()).as("op").isEqualTo(expected.op());
        assertThat(actual.tsMs()).as("ts_ms").isEqualTo(expected.tsMs());
        assertThat(actual.source()).as("source").isEqualTo(expected.source());
        assertThat(actual.transaction()).as("transaction").isEqualTo(expected.transaction());
        assertThat(actual.position()).as("position").isEqualTo(expected.position());
        assertThat(actual.position().fields().keySet()).as("position field order")
                .containsExactlyElementsOf(expected.position().fields().keySet());
        assertSameRow("before", actual.before(), expected.before());
        assertSameRow("after", actual.after(), expected.after());
        assertSameRow("key", actual.key(), expected.key());
    }

    static void assertSameRow(String path, Map<String, Object> actual, Map<String, Object> expected) {
        if (expected == null || actual == null) {
            if (expected != actual) {
                fail("%s: expected %s but was %s", path, expected, actual);
            }
            return;
        }
        assertThat(new ArrayList<>(actual.keySet())).as(path + " columns, in order")
                .isEqualTo(new ArrayList<>(expected.keySet()));
        for (String column : expected.keySet()) {
            assertSameValue(path + "." + column, actual.get(column), expected.get(column));
        }
    }

    /**
     * Compares two column values: same class exactly (any List for lists), byte[] by content,
     * BigDecimal by equals (so scale matters), Float and Double by equals (so NaN equals NaN and
     * -0.0 differs from 0.0), JsonNode trees node by node with the same rules.
     */
    static void assertSameValue(String path, Object actual, Object expected) {
        if (expected == null || actual == null) {
            if (expected != actual) {
                fail("%s: expected %s but was %s", path, describe(expected), describe(actual));
            }
            return;
        }
        if (expected instanceof List<?> e) {
            if (!(actual instanceof List<?> a)) {
                fail("%s: expected a List but was %s", path, describe(actual));
                return;
            }
            if (a.size() != e.size()) {
                fail("%s: expected %d elements but was %d: %s", path, e.size(), a.size(), a);
            }
            for (int i = 0; i < e.size(); i++) {
                assertSameValue(path + "[" + i + "]", a.get(i), e.get(i));
            }
            return;
        }
        if (expected instanceof JsonNode e) {
            if (!(actual instanceof JsonNode a)) {
                fail("%s: expected a JsonNode but was %s", path, describe(actual));
                return;
            }
            assertSameTree(path, a, e);
            return;
        }
        if (actual.getClass() != expected.getClass()) {
            fail("%s: expected %s but was %s", path, describe(expected), describe(actual));
        }
        if (expected instanceof byte[] e) {
            if (!Arrays.equals((byte[]) actual, e)) {
                fail("%s: expected bytes %s but was %s", path, Arrays.toString(e), Arrays.toString((byte[]) actual));
            }
            return;
        }
        if (!actual.equals(expected)) {
            fail("%s: expected %s but was %s", path, describe(expected), describe(actual));
        }
    }

    private static void assertSameTree(String path, JsonNode actual, JsonNode expected) {
        if (actual.getNodeType() != expected.getNodeType()) {
            fail("%s: expected JSON %s but was %s", path, expected, actual);
        }
        if (expected.isObject()) {
            List<String> a = new ArrayList<>();
            actual.fieldNames().forEachRemaining(a::add);
            List<String> e = new ArrayList<>();
            expected.fieldNames().forEachRemaining(e::add);
            if (!a.equals(e)) {
                fail("%s: expected JSON fields %s but was %s", path, e, a);
            }
            for (String name : e) {
                assertSameTree(path + "." + name, actual.get(name), expected.get(name));
            }
        } else if (expected.isArray()) {
            if (actual.size() != expected.size()) {
                fail("%s: expected JSON %s but was %s", path, expected, actual);
            }
            Iterator<JsonNode> a = actual.elements();
            int i = 0;
            for (JsonNode e : expected) {
                assertSameTree(path + "[" + i++ + "]", a.next(), e);
            }
        } else if (expected.isNumber()) {
            // JsonNode.equals compares decimals with compareTo; here the scale must match too
            assertSameValue(path, actual.numberValue(), expected.numberValue());
        } else if (!actual.equals(expected)) {
            fail("%s: expected JSON %s but was %s", path, expected, actual);
        }
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        String text = value instanceof byte[] b ? Arrays.toString(b) : String.valueOf(value);
        if (text.length() > 80) {
            text = text.substring(0, 77) + "...";
        }
        return value.getClass().getSimpleName() + " " + text;
    }

    // ---------------------------------------------------------------- the helpers can fail

    @Test
    void comparisonDetectsDifferencesThatEqualsWouldMiss() {
        assertThatThrownBy(() -> assertSameValue("v", new BigDecimal("1.5"), new BigDecimal("1.50")))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", 1, 1L)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", (short) 1, 1)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", 0.0f, -0.0f)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", 1.0f, 1.0d)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", new byte[] {1, 2}, new byte[] {1, 3}))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", NullNode.getInstance(), null)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", "null", NullNode.getInstance())).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", list(1, null), list(1, 2))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", list(list(1L)), list(list(1)))).isInstanceOf(AssertionError.class);
        // JsonNode.equals says these are equal; the scale differs
        assertThat(json("{\"a\":1.5}")).isEqualTo(json("{\"a\":1.50}"));
        assertThatThrownBy(() -> assertSameValue("v", json("{\"a\":1.5}"), json("{\"a\":1.50}")))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameValue("v", json("{\"a\":1,\"b\":2}"), json("{\"b\":2,\"a\":1}")))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameRow("r", row("a", 1, "b", 2), row("b", 2, "a", 1)))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertSameRow("r", row(), null)).isInstanceOf(AssertionError.class);

        // and accepts what is the same
        assertSameValue("v", new byte[] {1, 2}, new byte[] {1, 2});
        assertSameValue("v", Float.NaN, Float.NaN);
        assertSameValue("v", List.of(1, 2), list(1, 2));
        assertSameValue("v", json("{\"a\":[1.50,null]}"), json("{\"a\":[1.50,null]}"));
    }

    // ---------------------------------------------------------------- integers

    @Test
    void integersKeepTheirWidthAndExtremes() {
        String text = assertRoundTrip(insert(row(
                "s_min", Short.MIN_VALUE, "s_max", Short.MAX_VALUE, "s_zero", (short) 0,
                "i_min", Integer.MIN_VALUE, "i_max", Integer.MAX_VALUE, "i_zero", 0,
                "l_min", Long.MIN_VALUE, "l_max", Long.MAX_VALUE, "l_small", 1L)));
        assertThat(text).contains("\"s_min\":-32768", "\"i_max\":2147483647", "\"l_min\":-9223372036854775808",
                "\"l_small\":1}");
    }

    // ---------------------------------------------------------------- numeric

    @Test
    void numericKeepsValueAndScale() {
        StringBuilder digits = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            digits.append((char) ('1' + i % 9));
        }
        BigDecimal thousandDigits = new BigDecimal(new BigInteger(digits.toString()), 20);
        assertThat(thousandDigits.precision()).isEqualTo(1000);
        assertThat(thousandDigits.scale()).isEqualTo(20);

        assertRoundTrip(insert(row(
                "huge", thousandDigits,
                "huge_negative", thousandDigits.negate(),
                "zero_scale3", new BigDecimal("0.000"),
                "zero", BigDecimal.ZERO,
                "trailing", new BigDecimal("1234.50"),
                "trailing_many", new BigDecimal("100.0000000000"),
                "integer", new BigDecimal("1234"),
                "long_integer", new BigDecimal("123456789012345678901234567890"),
                "tiny", new BigDecimal("0.00000000000000000000000000001"),
                "negative", new BigDecimal("-0.01"),
                "scale_above_exponent_threshold", new BigDecimal("0.0000001"))));
    }

    @Test
    void numericAsLongAsPostgresAllowsKeepsItsDigits() {
        // PostgreSQL numeric: up to 131072 digits before the point and 16383 after
        String before = "9".repeat(131_072);
        String after = "1".repeat(16_382) + "0";
        BigDecimal largest = new BigDecimal(before + "." + after);
        assertThat(largest.scale()).isEqualTo(16_383);
        String text = assertRoundTrip(insert(row("n", largest, "small", new BigDecimal("0." + after))));
        assertThat(text).doesNotContain("E+").doesNotContain("E-");
    }

    @Test
    void numericWithNegativeScaleComesBackWithScaleZero() {
        // documented: PostgreSQL never produces a negative scale; it is written as a plain integer
        ChangeEvent event = insert(row("n", new BigDecimal("1E+3")));
        String text = ChangeEventJson.write(event);
        assertThat(text).contains("\"n\":1000}");
        assertThat(ChangeEventJson.read(text).after().get("n")).isEqualTo(new BigDecimal("1000"));
    }

    // ---------------------------------------------------------------- floating point

    @Test
    void floatsKeepSpecialValuesSignOfZeroAndExtremes() {
        assertRoundTrip(insert(row(
                "f_nan", Float.NaN, "f_inf", Float.POSITIVE_INFINITY, "f_ninf", Float.NEGATIVE_INFINITY,
                "f_nzero", -0.0f, "f_zero", 0.0f, "f_min", Float.MIN_VALUE, "f_min_normal", Float.MIN_NORMAL,
                "f_max", Float.MAX_VALUE, "f_nmax", -Float.MAX_VALUE, "f_tenth", 0.1f, "f_third", 1f / 3,
                "f_big", 1.0E10f, "f_one", 1.0f,
                "d_nan", Double.NaN, "d_inf", Double.POSITIVE_INFINITY, "d_ninf", Double.NEGATIVE_INFINITY,
                "d_nzero", -0.0d, "d_zero", 0.0d, "d_min", Double.MIN_VALUE, "d_min_normal", Double.MIN_NORMAL,
                "d_max", Double.MAX_VALUE, "d_nmax", -Double.MAX_VALUE, "d_tenth", 0.1d, "d_pi", Math.PI,
                "d_tiny", 1e-300, "d_one", 1.0d, "d_exact_int", 9_007_199_254_740_993.0d)));
    }

    @Test
    void manyRandomDoublesAndFloatsRoundTripBitForBit() {
        java.util.Random random = new java.util.Random(42);
        Map<String, Object> after = new LinkedHashMap<>();
        for (int i = 0; i < 500; i++) {
            after.put("d" + i, Double.longBitsToDouble(random.nextLong()));
            after.put("f" + i, Float.intBitsToFloat(random.nextInt()));
        }
        assertRoundTrip(insert(after));
    }

    // ---------------------------------------------------------------- booleans and text

    @Test
    void booleansAndText() {
        assertRoundTrip(insert(row(
                "yes", true, "no", false,
                "empty", "",
                "emoji", "\uD83D\uDE00 \uD83D\uDC4D\uD83C\uDFFD \uD83C\uDDE9\uD83C\uDDEA family: \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
                "hebrew", "\u05E9\u05DC\u05D5\u05DD \u05E2\u05D5\u05DC\u05DD",
                "arabic_mixed", "order \u0645\u0631\u062D\u0628\u0627 #42",
                "cjk", "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8",
                "combining", "e\u0301 n\u0303",
                "controls", "tab\there\nnew line\r\u0001\u001F\u007F",
                "quotes", "\"quoted\" and \\backslash\\ and /slash/",
                "separators", "\u2028\u2029",
                "word_null", "null",
                "lone_surrogate", "\uD800x",
                "long", "x".repeat(100_000))));
    }

    // ---------------------------------------------------------------- uuid and bytea

    @Test
    void uuidsAndBytes() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertRoundTrip(insert(row(
                "id", UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
                "nil", new UUID(0, 0),
                "max", new UUID(-1, -1),
                "random", UUID.randomUUID(),
                "empty_bytes", new byte[0],
                "all_bytes", all,
                "one_byte", new byte[] {(byte) 0xFF},
                "two_bytes", new byte[] {0, 0})));
    }

    // ---------------------------------------------------------------- dates and times

    @Test
    void datesAndTimesIncludingPostgresExtremes() {
        assertRoundTrip(insert(row(
                "d_julian", LocalDate.of(-4712, 1, 1),
                "d_pg_max", LocalDate.of(5_874_897, 12, 31),
                "d_epoch", LocalDate.of(1970, 1, 1),
                "d_leap", LocalDate.of(2024, 2, 29),
                "d_min", LocalDate.MIN,
                "d_max", LocalDate.MAX,
                "t_last_micro", LocalTime.of(23, 59, 59, 999_999_000),
                "t_midnight", LocalTime.MIDNIGHT,
                "t_no_seconds", LocalTime.of(12, 30),
                "t_max", LocalTime.MAX,
                "ts_julian", LocalDateTime.of(-4712, 1, 1, 0, 0),
                "ts_pg_max", LocalDateTime.of(294_276, 12, 31, 23, 59, 59, 999_999_000),
                "ts_micros", LocalDateTime.of(2024, 2, 29, 13, 45, 30, 123_456_000),
                "ts_min", LocalDateTime.MIN,
                "ts_max", LocalDateTime.MAX,
                "tz_micros", Instant.parse("2024-02-29T13:45:30.123456Z"),
                "tz_nanos", Instant.ofEpochSecond(1_700_000_000L, 123_456_789),
                "tz_before_epoch", Instant.ofEpochSecond(-1, 999_999_000),
                "tz_julian", Instant.parse("-4712-01-01T00:00:00Z"),
                "tz_pg_max", Instant.parse("+294276-12-31T23:59:59.999999Z"),
                "tz_epoch", Instant.EPOCH,
                "tz_min", Instant.MIN,
                "tz_max", Instant.MAX)));
    }

    // ---------------------------------------------------------------- json

    @Test
    void jsonDocumentsKeepStructureUnicodeAndExactDecimals() {
        JsonNode nested = json("{\"name\":\"J\u00FCrgen \uD83D\uDE80\",\"rtl\":\"\u05E9\u05DC\u05D5\u05DD\","
                + "\"price\":12345678901234567890.123456789012345678900,\"qty\":1.50,\"zero\":0.000,"
                + "\"big\":123456789012345678901234567890,\"neg\":-7,\"flag\":true,\"none\":null,"
                + "\"tags\":[\"a\",1,2.0,[],{}],\"deep\":{\"a\":{\"b\":{\"c\":[1,[2,[3]]]}}},"
                + "\"escaped\":\"line\\nbreak \\\"q\\\"\"}");
        assertThat(nested.get("qty").decimalValue().scale()).isEqualTo(2);
        assertRoundTrip(insert(row(
                "doc", nested,
                "empty_object", json("{}"),
                "empty_array", json("[]"),
                "scalar_string", json("\"text\""),
                "scalar_number", json("1.10"),
                "scalar_true", json("true"),
                "jsonb_null", NullNode.getInstance(),
                "sql_null", null)));
    }

    @Test
    void jsonNullAndSqlNullStayDifferent() {
        ChangeEvent event = insert(row("jsonb_null", NullNode.getInstance(), "sql_null", null));
        String text = assertRoundTrip(event);
        assertThat(text).contains("\"jsonb_null\":\"null\"", "\"sql_null\":null");
        Map<String, Object> after = ChangeEventJson.read(text).after();
        assertThat(after.get("jsonb_null")).isInstanceOf(NullNode.class);
        assertThat(after).containsEntry("sql_null", null);
    }

    @Test
    void jsonBuiltInMemoryRoundTrips() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        JsonNode doc = f.objectNode()
                .put("amount", new BigDecimal("10.00"))
                .put("count", 3)
                .put("big", Long.MAX_VALUE)
                .set("list", f.arrayNode().add("x").addNull());
        assertRoundTrip(insert(row("doc", doc)));
    }

    // ---------------------------------------------------------------- arrays

    @Test
    void arraysWithNullsAndOfEveryElementType() {
        assertRoundTrip(insert(row(
                "int4s", list(1, null, Integer.MIN_VALUE, Integer.MAX_VALUE),
                "int2s", list((short) 1, null),
                "int8s", list(null, Long.MAX_VALUE),
                "texts", list("a", null, "", "NULL", "null", "\uD83D\uDE00"),
                "numerics", list(new BigDecimal("1.50"), null, new BigDecimal("0.000"), new BigDecimal("-12345678901234567890.1")),
                "timestamptzs", list(Instant.parse("2024-01-01T00:00:00.000001Z"), null, Instant.EPOCH),
                "float8s", list(Double.NaN, -0.0d, null, Double.NEGATIVE_INFINITY, 1.5d),
                "float4s", list(Float.POSITIVE_INFINITY, -0.0f, 0.25f),
                "bools", list(true, null, false),
                "uuids", list(new UUID(1, 2), null),
                "byteas", list(new byte[] {1, 2, 3}, null, new byte[0]),
                "dates", list(LocalDate.of(-4712, 1, 1), null),
                "times", list(LocalTime.of(23, 59, 59, 999_999_000)),
                "timestamps", list(LocalDateTime.of(294_276, 12, 31, 23, 59, 59)),
                "jsons", list(json("{\"a\":1.0}"), NullNode.getInstance(), null))));
    }

    @Test
    void multiDimensionalAndEmptyArrays() {
        String text = assertRoundTrip(insert(row(
                "matrix", list(list(1, 2, 3), list(4, null, 6)),
                "matrix_null_row", list(list(1, 2), null),
                "cube", list(list(list(new BigDecimal("1.0"), new BigDecimal("2.00"))), list(list(null, null))),
                "text_matrix", list(list("a", "b"), list("c", null)),
                "empty", list(),
                "empty_2d", list(list(), list()),
                "only_nulls", list(null, null),
                "first_leaf_late", list(list(), list(null, 7L)))));
        JsonNode types = json(text).get("types");
        assertThat(types.get("matrix").asText()).isEqualTo("int4[][]");
        assertThat(types.get("cube").asText()).isEqualTo("numeric[][][]");
        assertThat(types.get("empty").asText()).isEqualTo("text[]");
        assertThat(types.get("empty_2d").asText()).isEqualTo("text[][]");
        assertThat(types.get("only_nulls").asText()).isEqualTo("text[]");
        assertThat(types.get("first_leaf_late").asText()).isEqualTo("int8[][]");
    }

    @Test
    void emptyArrayInOneImageTakesTheTypeOfTheOther() {
        // an update of an int8[] column from '{}' to '{1,2}'
        ChangeEvent event = new ChangeEvent(Op.UPDATE,
                row("id", 1, "ids", list()), row("id", 1, "ids", list(1L, 2L)),
                row("id", 1), SOURCE, 5L, null, POSITION);
        String text = assertRoundTrip(event);
        assertThat(json(text).get("types").get("ids").asText()).isEqualTo("int8[]");

        ChangeEvent reverse = new ChangeEvent(Op.UPDATE,
                row("ids", list(list(1L))), row("ids", list()), null, SOURCE, 5L, null, POSITION);
        text = assertRoundTrip(reverse);
        assertThat(json(text).get("types").get("ids").asText()).isEqualTo("int8[][]");
    }

    // ---------------------------------------------------------------- nulls, keys, order

    @Test
    void sqlNullsEverywhere() {
        ChangeEvent event = new ChangeEvent(Op.UPDATE,
                row("id", 7, "a", null, "b", null),
                row("id", 7, "a", "now set", "b", null),
                row("id", 7), SOURCE, 1L, null, POSITION);
        String text = assertRoundTrip(event);
        JsonNode types = json(text).get("types");
        assertThat(types.has("a")).isTrue();
        assertThat(types.has("b")).as("a column that is always null has no type").isFalse();
    }

    @Test
    void columnOrderIsKept() {
        Map<String, Object> after = new LinkedHashMap<>();
        for (int i = 40; i > 0; i--) {
            after.put("c" + i, i);
        }
        after.put("Mixed Case \"quoted\"", "x");
        after.put("", "empty name");
        assertRoundTrip(insert(after));
    }

    @Test
    void keyWithSeveralColumns() {
        UUID tenant = UUID.randomUUID();
        ChangeEvent event = new ChangeEvent(Op.DELETE,
                row("tenant", tenant, "id", 42L, "name", "gone"), null,
                row("tenant", tenant, "id", 42L), SOURCE, 9L, null, POSITION);
        assertRoundTrip(event);
    }

    // ---------------------------------------------------------------- envelope parts

    @ParameterizedTest
    @EnumSource(Op.class)
    void everyOp(Op op) {
        Map<String, Object> image = row("id", 1, "v", "x");
        Map<String, Object> before = switch (op) {
            case UPDATE, DELETE -> image;
            default -> null;
        };
        Map<String, Object> after = switch (op) {
            case CREATE, UPDATE, READ -> image;
            default -> null;
        };
        Map<String, Object> key = op == Op.TRUNCATE ? Map.of() : row("id", 1);
        SourceInfo source = op == Op.READ
                ? new SourceInfo("0.1.0", "log", "shop", 1L, SourceInfo.SNAPSHOT_LAST, "db", "s", "t", null, null, null, null)
                : SOURCE;
        String text = assertRoundTrip(new ChangeEvent(op, before, after, key, source, 3L, null, POSITION));
        assertThat(json(text).get("op").asText()).isEqualTo(op.code());
    }

    @Test
    void transactionAndPosition() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("lsn", Long.MAX_VALUE);
        fields.put("batch", "2024-01-01/0001");
        fields.put("done", true);
        fields.put("nothing", null);
        fields.put("negative", Long.MIN_VALUE);
        ChangeEvent event = new ChangeEvent(Op.UPDATE, row("id", 1), row("id", 2), row("id", 2), SOURCE,
                Long.MAX_VALUE, new TransactionInfo("571:53195832", 3, 2), new Position(fields));
        assertRoundTrip(event);

        ChangeEvent negativeTs = new ChangeEvent(Op.CREATE, null, row("id", 1), null, SOURCE, -1L,
                new TransactionInfo("", Long.MAX_VALUE, Long.MAX_VALUE), new Position(Map.of()));
        assertRoundTrip(negativeTs);
    }

    @Test
    void sourceWithUnknownFields() {
        SourceInfo sparse = new SourceInfo(null, "timestamp", null, null, null, null, "public", "t",
                null, null, null, null);
        assertRoundTrip(new ChangeEvent(Op.CREATE, null, row("id", 1), null, sparse, 0L, null, POSITION));

        SourceInfo full = new SourceInfo("0.1.0", "trigger", "n", Long.MIN_VALUE, SourceInfo.SNAPSHOT_TRUE, "db",
                "My Schema", "Order \"Lines\"", Long.MAX_VALUE, 0L, 4_294_967_295L, "seq-1");
        assertRoundTrip(new ChangeEvent(Op.READ, null, row("id", 1), null, full, 0L, null, POSITION));
    }

    @Test
    void everyTypeInOneEventAndInTheKey() {
        Map<String, Object> all = row(
                "i2", (short) 2, "i4", 4, "i8", 8L, "num", new BigDecimal("8.80"), "f4", 4.5f, "f8", 8.25d,
                "b", true, "t", "text", "u", new UUID(3, 4), "bytes", new byte[] {9},
                "d", LocalDate.of(2000, 1, 1), "tm", LocalTime.of(1, 2, 3), "ts", LocalDateTime.of(2000, 1, 1, 1, 2),
                "tz", Instant.ofEpochMilli(1), "j", json("[1.0]"), "arr", list(list("x")), "nothing", null);
        ChangeEvent event = new ChangeEvent(Op.UPDATE, all, all, all, SOURCE, 1L,
                new TransactionInfo("1", 1, 1), POSITION);
        String text = assertRoundTrip(event);
        JsonNode types = json(text).get("types");
        Map<String, String> tags = new LinkedHashMap<>();
        types.properties().forEach(e -> tags.put(e.getKey(), e.getValue().asText()));
        assertThat(tags).containsExactly(
                Map.entry("i2", "int2"), Map.entry("i4", "int4"), Map.entry("i8", "int8"),
                Map.entry("num", "numeric"), Map.entry("f4", "float4"), Map.entry("f8", "float8"),
                Map.entry("b", "bool"), Map.entry("t", "text"), Map.entry("u", "uuid"), Map.entry("bytes", "bytea"),
                Map.entry("d", "date"), Map.entry("tm", "time"), Map.entry("ts", "timestamp"),
                Map.entry("tz", "timestamptz"), Map.entry("j", "json"), Map.entry("arr", "text[][]"));
    }
}
