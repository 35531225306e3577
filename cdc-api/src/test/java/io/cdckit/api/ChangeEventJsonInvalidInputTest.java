package io.cdckit.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Input that is not a change event gives an IllegalArgumentException that says what is wrong. */
class ChangeEventJsonInvalidInputTest {

    private static final String SOURCE = "\"source\":{\"schema\":\"s\",\"table\":\"t\"}";

    /** A valid event with one typed column in after; the parts are replaced by the tests. */
    private static String event(String typesJson, String afterJson) {
        return "{\"before\":null,\"after\":" + afterJson + "," + SOURCE
                + ",\"op\":\"c\",\"ts_ms\":1,\"types\":" + typesJson + "}";
    }

    private static void assertRejected(String json, String... messageParts) {
        assertThatThrownBy(() -> ChangeEventJson.read(json))
                .as(json)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(messageParts);
    }

    @Test
    void validTemplateIsAccepted() {
        // so that the rejections below are caused by the one part each changes
        ChangeEventJson.read(event("{\"id\":\"int4\"}", "{\"id\":1}"));
    }

    @Test
    void notJsonAtAll() {
        assertRejected("", "not a change event", "empty");
        assertRejected("   \n ", "not a change event", "empty");
        assertRejected("not json", "not a change event", "invalid JSON", "line 1");
        assertRejected("{\"op\":\"c\"", "invalid JSON");
        assertRejected("{\"op\":\"c\",}", "invalid JSON");
        assertRejected("{\"a\":1} {\"b\":2}", "invalid JSON");
        assertRejected("{\"a\":NaN}", "invalid JSON");
    }

    @Test
    void notAnObject() {
        assertRejected("[]", "not a change event", "expected a JSON object", "array");
        assertRejected("42", "not a change event", "expected a JSON object", "number 42");
        assertRejected("\"text\"", "not a change event", "expected a JSON object", "string \"text\"");
        assertRejected("null", "not a change event", "expected a JSON object", "null");
        assertThatThrownBy(() -> ChangeEventJson.fromJsonNode(JsonNodeFactory.instance.arrayNode()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a JSON object");
    }

    @Test
    void missingRequiredParts() {
        assertRejected("{}", "not a change event: missing 'op'");
        assertRejected("{\"op\":null," + SOURCE + ",\"ts_ms\":1}", "missing 'op'");
        assertRejected("{\"op\":\"c\"," + SOURCE + "}", "not a change event: missing 'ts_ms'");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1}", "not a change event: missing 'source'");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1,\"source\":null}", "missing 'source'");
    }

    @Test
    void envelopeWithSchemasGivesAHint() {
        assertRejected("{\"schema\":{\"type\":\"struct\"},\"payload\":{\"op\":\"c\"}}",
                "missing 'op'", "payload");
    }

    @Test
    void wrongOp() {
        assertRejected("{\"op\":\"m\",\"ts_ms\":1," + SOURCE + "}", "'op'", "\"m\"", "c", "u", "d", "r", "t");
        assertRejected("{\"op\":\"C\",\"ts_ms\":1," + SOURCE + "}", "'op'", "\"C\"");
        assertRejected("{\"op\":1,\"ts_ms\":1," + SOURCE + "}", "'op'", "number 1");
    }

    @Test
    void wrongEnvelopeFieldTypes() {
        assertRejected("{\"op\":\"c\",\"ts_ms\":\"1\"," + SOURCE + "}", "'ts_ms' must be an integer", "string \"1\"");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1.5," + SOURCE + "}", "'ts_ms' must be an integer");
        assertRejected("{\"op\":\"c\",\"ts_ms\":99999999999999999999," + SOURCE + "}", "'ts_ms' must be an integer");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1,\"source\":[]}", "'source' must be an object");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1,\"source\":{\"lsn\":\"0/16B3748\"}}",
                "'source.lsn' must be an integer", "0/16B3748");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1,\"source\":{\"table\":5}}", "'source.table' must be a string");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1,\"source\":{\"snapshot\":1}}", "'source.snapshot' must be a string");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1," + SOURCE + ",\"after\":\"x\"}", "'after' must be an object");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1," + SOURCE + ",\"before\":[]}", "'before' must be an object");
        assertRejected("{\"op\":\"c\",\"ts_ms\":1," + SOURCE + ",\"key\":1}", "'key' must be an object");
    }

    @Test
    void wrongTransaction() {
        String base = "{\"op\":\"c\",\"ts_ms\":1," + SOURCE + ",\"transaction\":";
        assertRejected(base + "\"tx\"}", "'transaction' must be an object");
        assertRejected(base + "{\"total_order\":1,\"data_collection_order\":1}}", "'transaction.id' is missing");
        assertRejected(base + "{\"id\":\"1\",\"data_collection_order\":1}}", "'transaction.total_order' is missing");
        assertRejected(base + "{\"id\":\"1\",\"total_order\":1}}", "'transaction.data_collection_order' is missing");
        assertRejected(base + "{\"id\":\"1\",\"total_order\":\"one\",\"data_collection_order\":1}}",
                "'transaction.total_order' must be an integer");
        assertRejected(base + "{\"id\":1,\"total_order\":1,\"data_collection_order\":1}}",
                "'transaction.id' must be a string");
    }

    @Test
    void wrongPosition() {
        String base = "{\"op\":\"c\",\"ts_ms\":1," + SOURCE + ",\"position\":";
        assertRejected(base + "[1]}", "'position' must be an object");
        assertRejected(base + "{\"lsn\":1.5}}", "'position.lsn'", "string, an integer, a boolean or null");
        assertRejected(base + "{\"lsn\":{}}}", "'position.lsn'");
        assertRejected(base + "{\"lsn\":18446744073709551615}}", "'position.lsn'");
    }

    @Test
    void wrongTypesBlock() {
        assertRejected(event("[]", "{\"id\":1}"), "'types' must be an object");
        assertRejected(event("{\"id\":4}", "{\"id\":1}"), "'types.id' must be a type name", "number 4");
        assertRejected(event("{\"id\":\"interval\"}", "{\"id\":1}"), "'types.id'", "\"interval\"", "not a known type",
                "int4", "timestamptz");
        assertRejected(event("{\"id\":\"int4[\"}", "{\"id\":1}"), "'types.id'", "not a known type");
        assertRejected(event("{\"id\":\"[]\"}", "{\"id\":1}"), "'types.id'", "not a known type");
        assertRejected(event("{\"id\":\"INT4\"}", "{\"id\":1}"), "'types.id'", "not a known type");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "int2        | 32768                  | an integer from -32768 to 32767",
            "int2        | 1.0                    | an integer",
            "int4        | \"1\"                  | an integer",
            "int4        | 2147483648             | an integer from -2147483648 to 2147483647",
            "int8        | 9223372036854775808    | an integer",
            "int8        | true                   | an integer",
            "numeric     | \"12.5\"               | a JSON number",
            "numeric     | {}                     | a JSON number",
            "float4      | \"nan\"                | \"NaN\"",
            "float4      | 1e39                   | float4 range",
            "float8      | 1e309                  | float8 range",
            "float8      | [1]                    | a JSON number",
            "bool        | \"true\"               | true or false",
            "bool        | 1                      | true or false",
            "text        | 5                      | a JSON string",
            "uuid        | \"not-a-uuid\"         | a UUID",
            "uuid        | 7                      | a UUID",
            "bytea       | \"***\"                | base64",
            "date        | \"2024-13-45\"         | an ISO-8601 date",
            "date        | 19000                  | an ISO-8601 date",
            "time        | \"25:00\"              | an ISO-8601 time",
            "timestamp   | \"2024-01-01 10:00\"   | an ISO-8601 date-time",
            "timestamptz | \"2024-01-01T10:00\"   | an ISO-8601 instant",
            "json        | \"{broken\"            | invalid JSON",
            "json        | \"\"                   | empty",
            "json        | \"{} {}\"              | invalid JSON",
            "int4[]      | 1                      | expected an array",
            "int4[][]    | [1]                    | expected an array",
            "int4[]      | [[1]]                  | an integer",
            "text[]      | [\"a\",1]              | a JSON string",
    })
    void valueThatDoesNotMatchItsType(String tag, String valueJson, String expected) {
        assertRejected(event("{\"col\":\"" + tag + "\"}", "{\"col\":" + valueJson + "}"),
                "invalid change event", "column 'col' in 'after' (" + tag + ")", expected);
    }

    @Test
    void badValueInBeforeAndKeyNamesThatImage() {
        String json = "{\"before\":{\"id\":\"x\"},\"after\":null," + SOURCE
                + ",\"op\":\"d\",\"ts_ms\":1,\"types\":{\"id\":\"int4\"}}";
        assertRejected(json, "column 'id' in 'before' (int4)");
        String key = "{\"after\":{\"id\":1},\"key\":{\"id\":\"x\"}," + SOURCE
                + ",\"op\":\"c\",\"ts_ms\":1,\"types\":{\"id\":\"int4\"}}";
        assertRejected(key, "column 'id' in 'key' (int4)");
    }

    @Test
    void numbersWhosePlainFormWouldBeHugeAreRejected() {
        // a short text that would turn into a billion digits when written back
        assertRejected(event("{\"col\":\"numeric\"}", "{\"col\":1e999999999}"), "too long", "plain notation");
        assertRejected(event("{\"col\":\"numeric\"}", "{\"col\":1e-999999999}"), "too long");
        assertRejected(event("{}", "{\"col\":1.5e999999999}"), "too long");
        assertRejected(event("{\"col\":\"json\"}", "{\"col\":\"[1e999999999]\"}"),
                "column 'col' in 'after' (json)", "too long");
        // up to PostgreSQL's own limits is fine
        ChangeEventJson.read(event("{\"col\":\"numeric\"}", "{\"col\":1e131071}"));
        ChangeEventJson.read(event("{\"col\":\"numeric\"}", "{\"col\":1e-16383}"));
    }

    @Test
    void hugeNumbersAreRejectedBeforeParsing() {
        // longer than any PostgreSQL numeric can be
        assertRejected(event("{\"col\":\"numeric\"}", "{\"col\":" + "9".repeat(300_000) + "}"),
                "invalid JSON", "Number value length");
    }
}
