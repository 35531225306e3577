package io.cdckit.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerationException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a {@link ChangeEvent} as JSON and reads it back, exactly: reading what {@link #write}
 * wrote gives an equal event with values of the same Java classes (Short stays Short, a
 * BigDecimal keeps its scale, a byte[] keeps its bytes).
 *
 * <p>The format is Debezium's envelope as written by Debezium's {@code JsonConverter} with
 * schemas disabled, so a consumer written for Debezium reads it, plus three fields of cdckit's
 * own ({@code key}, {@code position}, {@code types}). It is one line of JSON, suitable for JSON
 * Lines:
 * <pre>{@code
 * {"before":{...}|null,"after":{...}|null,
 *  "source":{"version":..,"connector":..,"name":..,"ts_ms":..,"snapshot":..,"db":..,
 *            "sequence":..,"schema":..,"table":..,"txId":..,"lsn":..,"xmin":..},
 *  "op":"c","ts_ms":1700000000000,
 *  "transaction":{"id":"..","total_order":1,"data_collection_order":1}|null,
 *  "key":{...},"position":{...},"types":{"id":"int4","amount":"numeric",...}}
 * }</pre>
 * Unknown source fields are written as JSON null. {@code position} holds the fields of the
 * {@link Position}. {@code types} has one tag for every column that has a non-null value in
 * {@code before}, {@code after} or {@code key}; it is what lets {@link #read} rebuild the exact
 * Java classes. A column whose values would need two different tags (an Integer in
 * {@code before} and a Long in {@code after}) cannot be written.
 *
 * <p>Column values:
 * <table>
 * <caption>Java value, JSON form and type tag</caption>
 * <tr><th>Java</th><th>JSON</th><th>tag</th></tr>
 * <tr><td>Short, Integer, Long</td><td>number</td><td>int2, int4, int8</td></tr>
 * <tr><td>BigDecimal</td><td>number written plain, scale kept: {@code 1.50}, never {@code 1.5E+0}</td>
 *     <td>numeric</td></tr>
 * <tr><td>Float, Double</td><td>number; NaN and infinities as the strings {@code "NaN"},
 *     {@code "Infinity"}, {@code "-Infinity"}</td><td>float4, float8</td></tr>
 * <tr><td>Boolean</td><td>true / false</td><td>bool</td></tr>
 * <tr><td>String</td><td>string</td><td>text</td></tr>
 * <tr><td>UUID</td><td>string</td><td>uuid</td></tr>
 * <tr><td>byte[]</td><td>base64 string</td><td>bytea</td></tr>
 * <tr><td>LocalDate, LocalTime, LocalDateTime, Instant</td><td>ISO-8601 string from
 *     {@code toString()}</td><td>date, time, timestamp, timestamptz</td></tr>
 * <tr><td>JsonNode</td><td>string holding the JSON text, as Debezium writes {@code io.debezium.data.Json};
 *     so a json {@code null} is the string {@code "null"}, unlike SQL NULL</td><td>json</td></tr>
 * <tr><td>List (nested for more dimensions, null elements allowed)</td><td>array</td>
 *     <td>element tag plus {@code []} per dimension, such as {@code int4[][]}, from the first
 *     non-null element; an array without any ({@code []}, {@code [null]}) is {@code text[]}, or
 *     takes the tag of the same column's array in the other row image</td></tr>
 * <tr><td>null (SQL NULL)</td><td>null</td><td>none</td></tr>
 * </table>
 *
 * <p>Without {@code types} (a genuine Debezium event), values get their natural types: a JSON
 * integer becomes an Integer if it fits, else a Long, else a BigDecimal; any other number a
 * BigDecimal; a string a String; a boolean a Boolean; an array a List; an object a JsonNode.
 * Without {@code key} the key is empty; without {@code position} the position is empty.
 *
 * <p>A BigDecimal with a negative scale (which PostgreSQL never produces) is written plain, as
 * an integer, and so comes back with scale 0. Floats keep their exact bits, including
 * {@code -0.0}. Reading is lenient where it costs nothing: a json column may hold its document
 * inline instead of as text, and a float or numeric column any JSON number.
 *
 * <p>Thread-safe; every method is static and shares one configured {@link ObjectMapper}.
 */
public final class ChangeEventJson {

    /**
     * Longest number read or written, in characters: enough for any PostgreSQL numeric (131072
     * digits before the point and 16383 after).
     */
    static final int MAX_NUMBER_LENGTH = 200_000;

    private static final ObjectMapper MAPPER = createMapper();
    private static final JsonNodeFactory NODES = MAPPER.getNodeFactory();

    private ChangeEventJson() {
    }

    /**
     * Writes an event as one line of JSON, without pretty printing.
     *
     * @param event the event to write
     * @return the JSON text, without line breaks
     * @throws IllegalArgumentException if a column holds a value of an unsupported class, or one
     *                                  column holds values of two different types
     */
    public static String write(ChangeEvent event) {
        return writeCompact(toJsonNode(event));
    }

    /**
     * Reads an event from JSON text written by {@link #write} or by Debezium's
     * {@code JsonConverter} with schemas disabled.
     *
     * @param json one JSON object
     * @return the event
     * @throws IllegalArgumentException if the text is not JSON or not a change event; the message
     *                                  says what is wrong
     */
    public static ChangeEvent read(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a change event: invalid JSON: " + describe(e), e);
        }
        if (node == null || node.isMissingNode()) {
            throw new IllegalArgumentException("not a change event: the input is empty");
        }
        return fromJsonNode(node);
    }

    /**
     * The JSON tree of an event, as {@link #write} writes it. BigDecimal values are decimal nodes
     * with their scale; write the tree with {@link #write} or {@link #mapper()} to keep them plain.
     *
     * @param event the event
     * @return a new tree that the caller may change
     * @throws IllegalArgumentException as {@link #write}
     */
    public static ObjectNode toJsonNode(ChangeEvent event) {
        Objects.requireNonNull(event, "event");
        Map<String, String> types = ChangeEventJsonTypes.of(event);
        ObjectNode root = NODES.objectNode();
        root.set("before", writeRow(event.before()));
        root.set("after", writeRow(event.after()));
        root.set("source", writeSource(event.source()));
        root.put("op", event.op().code());
        root.put("ts_ms", event.tsMs());
        root.set("transaction", writeTransaction(event.transaction()));
        root.set("key", writeRow(event.key()));
        ObjectNode position = root.putObject("position");
        for (Map.Entry<String, Object> e : event.position().fields().entrySet()) {
            position.set(e.getKey(), writePositionValue(e.getValue()));
        }
        ObjectNode typesNode = root.putObject("types");
        types.forEach(typesNode::put);
        return root;
    }

    /**
     * Reads an event from a JSON tree, as {@link #read} does. Parse text with {@link #mapper()}
     * (or use {@link #read}) so that decimals keep their exact value and scale.
     *
     * @param node a JSON object
     * @return the event
     * @throws IllegalArgumentException if the tree is not a change event; the message says what
     *                                  is wrong
     */
    public static ChangeEvent fromJsonNode(JsonNode node) {
        Objects.requireNonNull(node, "node");
        return ChangeEventJsonReader.read(node);
    }

    /**
     * A copy of the configured mapper, for callers that want the same settings: decimals read
     * exactly with their scale and written plain, no pretty printing, long numbers and strings
     * allowed, trailing content after a JSON value rejected.
     *
     * @return a new mapper that the caller may configure further
     */
    public static ObjectMapper mapper() {
        return MAPPER.copy();
    }

    /** JSON text of a tree, on one line, with every BigDecimal written plain whatever its scale. */
    static String writeCompact(JsonNode node) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = new PlainDecimalGenerator(MAPPER.createGenerator(out))) {
            MAPPER.writeTree(g, node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The tree of a json column's text. */
    static JsonNode parseJsonText(String text) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException("expected JSON text, got an empty string");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("expected JSON text, got invalid JSON: " + describe(e), e);
        }
    }

    /**
     * Whether a decimal's plain form stays within {@link #MAX_NUMBER_LENGTH}, so that a short
     * text such as {@code 1e999999999} cannot turn into a billion digits.
     */
    static boolean fitsPlain(BigDecimal value) {
        long scale = value.scale();
        long digits = scale <= 0 ? value.precision() - scale : Math.max(value.precision(), scale) + 1;
        return digits + 2 <= MAX_NUMBER_LENGTH;
    }

    private static String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String message = e.getOriginalMessage();
        int nl = message.indexOf('\n');
        if (nl >= 0) {
            message = message.substring(0, nl);
        }
        return at == null ? message : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    private static JsonNode writeRow(Map<String, Object> row) {
        if (row == null) {
            return NODES.nullNode();
        }
        ObjectNode node = NODES.objectNode();
        row.forEach((column, value) -> node.set(column, writeValue(value)));
        return node;
    }

    private static JsonNode writeValue(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof List<?> list) {
            ArrayNode array = NODES.arrayNode(list.size());
            for (Object element : list) {
                array.add(writeValue(element));
            }
            return array;
        }
        // the types were checked before, so the class is supported
        return ColumnType.ofValue(value).encode(value, NODES);
    }

    private static JsonNode writeSource(SourceInfo s) {
        ObjectNode node = NODES.objectNode();
        node.put("version", s.version());
        node.put("connector", s.connector());
        node.put("name", s.name());
        node.put("ts_ms", s.tsMs());
        node.put("snapshot", s.snapshot());
        node.put("db", s.db());
        node.put("sequence", s.sequence());
        node.put("schema", s.schema());
        node.put("table", s.table());
        node.put("txId", s.txId());
        node.put("lsn", s.lsn());
        node.put("xmin", s.xmin());
        return node;
    }

    private static JsonNode writeTransaction(TransactionInfo t) {
        if (t == null) {
            return NODES.nullNode();
        }
        ObjectNode node = NODES.objectNode();
        node.put("id", t.id());
        node.put("total_order", t.totalOrder());
        node.put("data_collection_order", t.dataCollectionOrder());
        if (t.eventCount() != null) {
            node.put("event_count", t.eventCount());
        }
        return node;
    }

    private static JsonNode writePositionValue(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof String s) {
            return NODES.textNode(s);
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        // Position allows nothing else
        throw new IllegalArgumentException("position value of unsupported class " + value.getClass().getName());
    }

    private static ObjectMapper createMapper() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .maxStringLength(Integer.MAX_VALUE)
                        .build())
                .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
                .build();
        SimpleModule exactNodes = new SimpleModule("cdckit-exact-json-nodes");
        exactNodes.addDeserializer(JsonNode.class, new ChangeEventJsonNodeDeserializer());
        return JsonMapper.builder(factory)
                .nodeFactory(new JsonNodeFactory(true))
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .addModule(exactNodes)
                .build();
    }

    /**
     * Writes every BigDecimal in plain notation. Jackson's own plain writing refuses scales
     * beyond 9999, and a PostgreSQL numeric may have up to 16383 digits after the point.
     */
    private static final class PlainDecimalGenerator extends JsonGeneratorDelegate {

        PlainDecimalGenerator(JsonGenerator delegate) {
            super(delegate, false);
        }

        @Override
        public void writeNumber(BigDecimal value) throws IOException {
            if (value == null) {
                writeNull();
            } else if (fitsPlain(value)) {
                delegate.writeNumber(value.toPlainString());
            } else {
                throw new JsonGenerationException("a number of " + value.precision() + " digits with scale "
                        + value.scale() + " is too long to write in plain notation (limit " + MAX_NUMBER_LENGTH
                        + " characters)", this);
            }
        }
    }
}
