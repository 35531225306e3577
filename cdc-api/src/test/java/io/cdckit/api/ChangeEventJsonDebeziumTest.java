package io.cdckit.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Map;

import static io.cdckit.api.ChangeEventJsonRoundTripTest.assertSameRow;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.assertSameValue;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.json;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.list;
import static io.cdckit.api.ChangeEventJsonRoundTripTest.row;
import static org.assertj.core.api.Assertions.assertThat;

/** Reading events written by Debezium's PostgreSQL connector with JsonConverter, schemas disabled. */
class ChangeEventJsonDebeziumTest {

    /** An update as Debezium 2.7 writes it: no types, no key, no position. */
    private static final String DEBEZIUM_UPDATE = """
            {
              "before": {
                "id": 1004,
                "first_name": "Anne",
                "email": "annek@noanswer.org",
                "balance": 1234.50,
                "visits": 9223372036854775807,
                "huge": 123456789012345678901234567890,
                "active": true,
                "tags": ["vip", null, "early"],
                "scores": [1, 3000000000],
                "created_at": "2024-01-02T03:04:05.123456Z",
                "birth_date": 19000,
                "profile": "{\\"lang\\": \\"de\\", \\"score\\": 1.10}",
                "avatar": "AAEC/v8=",
                "location": {"x": 1.5, "y": 2.0, "wkb": "AQEAAAA=", "srid": null},
                "notes": null
              },
              "after": {
                "id": 1004,
                "first_name": "Anne Marie",
                "email": "annek@noanswer.org",
                "balance": 0.000,
                "visits": 1,
                "huge": -1,
                "active": false,
                "tags": [],
                "scores": [],
                "created_at": "2024-01-02T03:04:05Z",
                "birth_date": -1,
                "profile": "null",
                "avatar": "",
                "location": null,
                "notes": "\\u05e9\\u05dc\\u05d5\\u05dd \\ud83d\\ude00"
              },
              "source": {
                "version": "2.7.3.Final",
                "connector": "postgresql",
                "name": "dbserver1",
                "ts_ms": 1559033904863,
                "ts_us": 1559033904863123,
                "ts_ns": 1559033904863123000,
                "snapshot": "false",
                "db": "postgres",
                "sequence": "[\\"24023119\\",\\"24023128\\"]",
                "schema": "inventory",
                "table": "customers",
                "txId": 556,
                "lsn": 24023128,
                "xmin": null
              },
              "op": "u",
              "ts_ms": 1559033904961,
              "ts_us": 1559033904961654,
              "ts_ns": 1559033904961654789,
              "transaction": null
            }
            """;

    @Test
    void genuineDebeziumUpdateIsReadWithNaturalTypes() {
        ChangeEvent event = ChangeEventJson.read(DEBEZIUM_UPDATE);

        assertThat(event.op()).isEqualTo(Op.UPDATE);
        assertThat(event.tsMs()).isEqualTo(1_559_033_904_961L);
        assertThat(event.source()).isEqualTo(new SourceInfo("2.7.3.Final", "postgresql", "dbserver1",
                1_559_033_904_863L, "false", "postgres", "inventory", "customers", 556L, 24_023_128L, null,
                "[\"24023119\",\"24023128\"]"));
        assertThat(event.table()).isEqualTo(new TableId("inventory", "customers"));
        assertThat(event.transaction()).isNull();
        assertThat(event.key()).isEmpty();
        assertThat(event.position()).isEqualTo(new Position(Map.of()));

        assertSameRow("before", event.before(), row(
                "id", 1004,
                "first_name", "Anne",
                "email", "annek@noanswer.org",
                "balance", new BigDecimal("1234.50"),
                "visits", Long.MAX_VALUE,
                "huge", new BigDecimal("123456789012345678901234567890"),
                "active", true,
                "tags", list("vip", null, "early"),
                "scores", list(1, 3_000_000_000L),
                "created_at", "2024-01-02T03:04:05.123456Z",
                "birth_date", 19000,
                "profile", "{\"lang\": \"de\", \"score\": 1.10}",
                "avatar", "AAEC/v8=",
                "location", json("{\"x\": 1.5, \"y\": 2.0, \"wkb\": \"AQEAAAA=\", \"srid\": null}"),
                "notes", null));
        assertSameRow("after", event.after(), row(
                "id", 1004,
                "first_name", "Anne Marie",
                "email", "annek@noanswer.org",
                "balance", new BigDecimal("0.000"),
                "visits", 1,
                "huge", -1,
                "active", false,
                "tags", list(),
                "scores", list(),
                "created_at", "2024-01-02T03:04:05Z",
                "birth_date", -1,
                "profile", "null",
                "avatar", "",
                "location", null,
                "notes", "\u05E9\u05DC\u05D5\u05DD \uD83D\uDE00"));
    }

    @Test
    void debeziumDeleteWithTransactionBlock() {
        ChangeEvent event = ChangeEventJson.read("""
                {"before":{"id":7,"sku":"X-1"},"after":null,
                 "source":{"version":"2.7.3.Final","connector":"postgresql","name":"dbserver1",
                           "ts_ms":1700000000000,"snapshot":"false","db":"shop","sequence":null,
                           "schema":"public","table":"items","txId":571,"lsn":53195832,"xmin":null},
                 "transaction":{"id":"571:53195832","total_order":2,"data_collection_order":1},
                 "op":"d","ts_ms":1700000000100}
                """);
        assertThat(event.op()).isEqualTo(Op.DELETE);
        assertThat(event.after()).isNull();
        assertSameRow("before", event.before(), row("id", 7, "sku", "X-1"));
        assertThat(event.transaction()).isEqualTo(new TransactionInfo("571:53195832", 2, 1));
        assertThat(event.row()).isSameAs(event.before());
    }

    @Test
    void debeziumSnapshotReadAndTruncate() {
        ChangeEvent read = ChangeEventJson.read("""
                {"before":null,"after":{"id":1},"source":{"version":"2.7.3.Final","connector":"postgresql",
                 "name":"db","ts_ms":1,"snapshot":"first","db":"d","schema":"s","table":"t","txId":null,
                 "lsn":null,"xmin":null},"op":"r","ts_ms":2,"transaction":null}""");
        assertThat(read.op()).isEqualTo(Op.READ);
        assertThat(read.source().snapshot()).isEqualTo("first");

        ChangeEvent truncate = ChangeEventJson.read("""
                {"before":null,"after":null,"source":{"version":"2.7.3.Final","connector":"postgresql",
                 "name":"db","ts_ms":1,"snapshot":"false","db":"d","schema":"s","table":"t","txId":3,
                 "lsn":4,"xmin":null},"op":"t","ts_ms":2,"transaction":null}""");
        assertThat(truncate.op()).isEqualTo(Op.TRUNCATE);
        assertThat(truncate.before()).isNull();
        assertThat(truncate.after()).isNull();
        assertThat(truncate.key()).isEmpty();
    }

    @Test
    void earlyDebeziumBooleanSnapshotAndMissingOptionalSourceFields() {
        ChangeEvent event = ChangeEventJson.read("""
                {"after":{"id":1},"source":{"name":"db","snapshot":true,"schema":"s","table":"t"},
                 "op":"r","ts_ms":2}""");
        assertThat(event.source()).isEqualTo(new SourceInfo(null, null, "db", null, "true", null, "s", "t",
                null, null, null, null));
        assertThat(event.before()).isNull();
    }

    @Test
    void columnsWithoutTypeTagGetNaturalTypes() {
        ChangeEvent event = ChangeEventJson.read("""
                {"before":null,"after":{"id":5,"amount":5.50,"n":5,"doc":"{}"},
                 "source":{"schema":"s","table":"t"},"op":"c","ts_ms":1,
                 "types":{"amount":"numeric","doc":"json"}}""");
        Map<String, Object> after = event.after();
        assertSameValue("id", after.get("id"), 5);
        assertSameValue("amount", after.get("amount"), new BigDecimal("5.50"));
        assertSameValue("n", after.get("n"), 5);
        assertSameValue("doc", after.get("doc"), json("{}"));
    }

    @Test
    void typedValuesAreAcceptedInlineAndAsTextWhereDebeziumDiffers() {
        // a json document given as a JSON value rather than as its text, and integral numbers in
        // float and numeric columns
        ChangeEvent event = ChangeEventJson.read("""
                {"after":{"doc":{"a":[1,2.50]},"f":3,"d":-7,"n":12},"source":{},"op":"c","ts_ms":1,
                 "types":{"doc":"json","f":"float4","d":"float8","n":"numeric"}}""");
        JsonNode doc = (JsonNode) event.after().get("doc");
        assertSameValue("doc", doc, json("{\"a\":[1,2.50]}"));
        assertSameValue("f", event.after().get("f"), 3.0f);
        assertSameValue("d", event.after().get("d"), -7.0d);
        assertSameValue("n", event.after().get("n"), new BigDecimal("12"));
        assertThat(event.after().keySet()).containsExactly("doc", "f", "d", "n");
    }
}
