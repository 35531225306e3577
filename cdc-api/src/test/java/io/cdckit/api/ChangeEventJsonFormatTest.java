package io.cdckit.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static io.cdckit.api.ChangeEventJsonRoundTripTest.POSITION;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.SOURCE;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.insert;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.json;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.list;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the written JSON looks like: Debezium's names and shapes, plain decimals, the types block. */
class ChangeEventJsonFormatTest {

    private static ChangeEvent update() {
        return new ChangeEvent(Op.UPDATE,
                row("id", 42, "amount", new BigDecimal("1000.00")),
                row("id", 42, "amount", new BigDecimal("1234.50")),
                row("id", 42), SOURCE, 1_700_000_000_000L, new TransactionInfo("571:24023128", 7, 3), POSITION);
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void envelopeHasDebeziumFieldNamesInDebeziumOrder() {
        JsonNode root = json(ChangeEventJson.write(update()));

        assertThat(names(root)).containsExactly("before", "after", "source", "op", "ts_ms", "transaction",
                "key", "position", "types");
        assertThat(root.get("before").get("amount").decimalValue()).isEqualTo(new BigDecimal("1000.00"));
        assertThat(root.get("after").get("id").intValue()).isEqualTo(42);
        assertThat(root.get("op").textValue()).isEqualTo("u");
        assertThat(root.get("ts_ms").isIntegralNumber()).isTrue();
        assertThat(root.get("ts_ms").longValue()).isEqualTo(1_700_000_000_000L);

        JsonNode source = root.get("source");
        assertThat(names(source)).containsExactly("version", "connector", "name", "ts_ms", "snapshot", "db",
                "sequence", "schema", "table", "txId", "lsn", "xmin");
        assertThat(source.get("ts_ms").longValue()).isEqualTo(1_700_000_000_123L);
        assertThat(source.get("txId").longValue()).isEqualTo(571L);
        assertThat(source.get("lsn").longValue()).isEqualTo(24_023_128L);
        assertThat(source.get("xmin").longValue()).isEqualTo(99L);
        assertThat(source.get("snapshot").textValue()).isEqualTo("false");
        assertThat(source.get("schema").textValue()).isEqualTo("public");
        assertThat(source.get("table").textValue()).isEqualTo("orders");
        assertThat(source.get("connector").textValue()).isEqualTo("log");

        JsonNode tx = root.get("transaction");
        assertThat(names(tx)).containsExactly("id", "total_order", "data_collection_order");
        assertThat(tx.get("id").textValue()).isEqualTo("571:24023128");
        assertThat(tx.get("total_order").longValue()).isEqualTo(7L);
        assertThat(tx.get("data_collection_order").longValue()).isEqualTo(3L);

        assertThat(root.get("key").get("id").intValue()).isEqualTo(42);
        assertThat(root.get("position").get("lsn").longValue()).isEqualTo(24_023_128L);
        assertThat(root.get("position").get("slot").textValue()).isEqualTo("cdckit_shop");
        assertThat(root.get("types").get("amount").textValue()).isEqualTo("numeric");
    }

    @Test
    void unknownSourceFieldsAndMissingTransactionAreWrittenAsNull() {
        SourceInfo sparse = new SourceInfo(null, "timestamp", null, null, null, null, "public", "t",
                null, null, null, null);
        JsonNode root = json(ChangeEventJson.write(
                new ChangeEvent(Op.DELETE, row("id", 1), null, row("id", 1), sparse, 1L, null, POSITION)));
        assertThat(root.get("after").isNull()).isTrue();
        assertThat(root.get("transaction").isNull()).isTrue();
        for (String field : List.of("version", "name", "ts_ms", "snapshot", "db", "sequence", "txId", "lsn", "xmin")) {
            assertThat(root.get("source").has(field)).as(field).isTrue();
            assertThat(root.get("source").get(field).isNull()).as(field).isTrue();
        }
    }

    @Test
    void bigDecimalIsAPlainJsonNumberWithItsScale() {
        String text = ChangeEventJson.write(insert(row(
                "amount", new BigDecimal("1234.50"),
                "tiny", new BigDecimal("0.000"),
                "small", new BigDecimal("0.0000001"),
                "large", new BigDecimal(new BigInteger("1" + "0".repeat(30))),
                "negative", new BigDecimal("-5.10"))));
        assertThat(text).contains("\"amount\":1234.50,", "\"tiny\":0.000,", "\"small\":0.0000001,",
                "\"large\":1" + "0".repeat(30) + ",", "\"negative\":-5.10}");
        assertThat(text).doesNotContain("E-").doesNotContain("E+").doesNotContain("\"1234.50\"");
    }

    @Test
    void valuesHaveTheDocumentedJsonForms() {
        byte[] bytes = {0, 1, 2, (byte) 0xFE, (byte) 0xFF};
        String text = ChangeEventJson.write(insert(row(
                "i2", (short) -5, "f4", 1.5f, "f8", -2.25d, "nan", Double.NaN, "inf", Float.POSITIVE_INFINITY,
                "ninf", Double.NEGATIVE_INFINITY, "b", false, "u", new UUID(0, 1), "bytes", bytes,
                "d", LocalDate.of(-4712, 1, 1), "tz", Instant.parse("2024-01-02T03:04:05.123456Z"),
                "doc", json("{\"a\":[1,2.50]}"), "jsonb_null", NullNode.getInstance(), "sql_null", null,
                "arr", list(list(1, null), list()))));
        assertThat(text).contains(
                "\"i2\":-5,", "\"f4\":1.5,", "\"f8\":-2.25,",
                "\"nan\":\"NaN\"", "\"inf\":\"Infinity\"", "\"ninf\":\"-Infinity\"",
                "\"b\":false",
                "\"u\":\"00000000-0000-0000-0000-000000000001\"",
                "\"bytes\":\"AAEC/v8=\"",
                "\"d\":\"-4712-01-01\"",
                "\"tz\":\"2024-01-02T03:04:05.123456Z\"",
                "\"doc\":\"{\\\"a\\\":[1,2.50]}\"",
                "\"jsonb_null\":\"null\"",
                "\"sql_null\":null",
                "\"arr\":[[1,null],[]]");
    }

    @Test
    void typesBlockListsEveryNonNullColumnOnce() {
        ChangeEvent event = new ChangeEvent(Op.UPDATE,
                row("id", 1L, "old_only", "x", "always_null", null, "grid", list(list(1, 2))),
                row("id", 1L, "new_only", new byte[0], "always_null", null, "grid", list()),
                row("id", 1L, "tenant", new UUID(1, 1)), SOURCE, 1L, null, POSITION);
        JsonNode types = json(ChangeEventJson.write(event)).get("types");
        assertThat(names(types)).containsExactly("id", "old_only", "grid", "new_only", "tenant");
        assertThat(types.get("id").textValue()).isEqualTo("int8");
        assertThat(types.get("old_only").textValue()).isEqualTo("text");
        assertThat(types.get("grid").textValue()).isEqualTo("int4[][]");
        assertThat(types.get("new_only").textValue()).isEqualTo("bytea");
        assertThat(types.get("tenant").textValue()).isEqualTo("uuid");
    }

    @Test
    void oneLineEvenWithLineBreaksInValues() {
        String text = ChangeEventJson.write(insert(row("t", "a\nb\r\nc", "doc", json("{\n \"a\" : \"x\\ny\"\n}"))));
        assertThat(text).doesNotContain("\n").doesNotContain("\r");
        assertThat(text).contains("\"t\":\"a\\nb\\r\\nc\"");
    }

    @Test
    void toJsonNodeIsTheTreeThatWriteWrites() throws Exception {
        ChangeEvent event = update();
        ObjectNode tree = ChangeEventJson.toJsonNode(event);
        assertThat(ChangeEventJson.mapper().writeValueAsString(tree)).isEqualTo(ChangeEventJson.write(event));
        assertThat(tree.get("after").get("amount")).isInstanceOf(DecimalNode.class);
        assertThat(tree.get("after").get("amount").decimalValue().scale()).isEqualTo(2);
        // a fresh tree each time, which the caller may change
        tree.put("op", "d");
        assertThat(ChangeEventJson.toJsonNode(event).get("op").textValue()).isEqualTo("u");
    }

    @Test
    void mapperIsAConfiguredCopy() throws Exception {
        ObjectMapper copy = ChangeEventJson.mapper();
        assertThat(copy).isNotSameAs(ChangeEventJson.mapper());
        assertThat(copy.readTree("1.50").decimalValue()).isEqualTo(new BigDecimal("1.50"));
        assertThat(copy.readTree("{\"a\":0.000}").get("a").decimalValue()).isEqualTo(new BigDecimal("0.000"));
        JsonNode negativeZero = copy.readTree("-0.0");
        assertThat(negativeZero).isInstanceOf(DoubleNode.class);
        assertThat(Double.doubleToRawLongBits(negativeZero.doubleValue()))
                .isEqualTo(Double.doubleToRawLongBits(-0.0d));
        assertThat(copy.writeValueAsString(Map.of("v", new BigDecimal("1E+2")))).isEqualTo("{\"v\":100}");

        // changing the copy does not change the codec
        copy.enable(SerializationFeature.INDENT_OUTPUT);
        assertThat(ChangeEventJson.write(update())).doesNotContain("\n");
        assertThat(ChangeEventJson.mapper().isEnabled(SerializationFeature.INDENT_OUTPUT)).isFalse();
    }

    @Test
    void usableFromManyThreadsAtOnce() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        ChangeEvent event = insert(row("id", thread * 1000 + i,
                                "amount", new BigDecimal(i + ".50"), "doc", json("{\"n\":" + i + ".0}")));
                        ChangeEventJsonRoundTripTest.assertRoundTrip(event);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- what cannot be written

    @Test
    void oneColumnWithTwoTypesIsRejected() {
        ChangeEvent event = new ChangeEvent(Op.UPDATE, row("id", 1, "qty", 1), row("id", 1, "qty", 1L),
                row("id", 1), SOURCE, 1L, null, POSITION);
        assertThatThrownBy(() -> ChangeEventJson.write(event))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'qty'").hasMessageContaining("int4").hasMessageContaining("int8")
                .hasMessageContaining("'before'").hasMessageContaining("'after'");

        ChangeEvent keyDiffers = new ChangeEvent(Op.UPDATE, null, row("id", 1), row("id", "1"),
                SOURCE, 1L, null, POSITION);
        assertThatThrownBy(() -> ChangeEventJson.toJsonNode(keyDiffers))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'id'").hasMessageContaining("text").hasMessageContaining("'key'");

        ChangeEvent dimensionsDiffer = new ChangeEvent(Op.UPDATE, row("a", list(1)), row("a", list(list(1))),
                null, SOURCE, 1L, null, POSITION);
        assertThatThrownBy(() -> ChangeEventJson.write(dimensionsDiffer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'").hasMessageContaining("int4[]").hasMessageContaining("int4[][]");

        ChangeEvent emptyTooDeep = new ChangeEvent(Op.UPDATE, row("a", list(list())), row("a", list(1)),
                null, SOURCE, 1L, null, POSITION);
        assertThatThrownBy(() -> ChangeEventJson.write(emptyTooDeep))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'").hasMessageContaining("text[][]").hasMessageContaining("int4[]");
    }

    @Test
    void unsupportedClassesAreRejectedNamingColumnAndClass() {
        Map<String, Object> cases = Map.of(
                "letter", 'x',
                "legacy_date", new Date(0),
                "ints", new int[] {1},
                "set", Set.of(1),
                "big_int", BigInteger.ONE,
                "byte", (byte) 1);
        cases.forEach((column, value) ->
                assertThatThrownBy(() -> ChangeEventJson.write(insert(row("id", 1, column, value))))
                        .as(column)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("'" + column + "'")
                        .hasMessageContaining(value.getClass().getName()));

        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("arr", list(1, 'c')))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'arr'").hasMessageContaining("java.lang.Character");
    }

    @Test
    void arraysThatNoPostgresArrayCanBeAreRejected() {
        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("mixed", list(1, 2L)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'mixed'").hasMessageContaining("int4").hasMessageContaining("int8");
        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("uneven", list(1, list(2))))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'uneven'").hasMessageContaining("uneven");
        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("uneven", list(list(1), list(list(2)))))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'uneven'");
        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("uneven", list(list(1), 2)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'uneven'");
        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("uneven", list(1, list())))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'uneven'");
    }

    @Test
    void numberTooLongToWritePlainIsRejected() {
        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("n", new BigDecimal("1E+1000000")))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too long to write in plain notation");
        assertThatThrownBy(() -> ChangeEventJson.write(insert(row("doc",
                JsonNodeFactory.instance.objectNode().put("x", new BigDecimal("1E-1000000"))))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too long to write in plain notation");
    }

    @Test
    void nullColumnNameIsRejected() {
        Map<String, Object> after = new java.util.LinkedHashMap<>();
        after.put(null, 1);
        assertThatThrownBy(() -> ChangeEventJson.write(insert(after)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'after'").hasMessageContaining("without a name");
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThatThrownBy(() -> ChangeEventJson.write(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ChangeEventJson.toJsonNode(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ChangeEventJson.read(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ChangeEventJson.fromJsonNode(null)).isInstanceOf(NullPointerException.class);
    }
}
