package io.cdckit.testkit;

import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.ColumnDecoder;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The type table as test data: one column per PostgreSQL type of the event model, and rows of
 * Java values (typical, all NULL, extremes) that are written with bound parameters and must come
 * back from every strategy as the very same typed values.
 */
public final class TypeMatrix {

    /** Column name → SQL type; an enum type {@code contract_mood} must exist. */
    private static final Map<String, String> COLUMNS = new LinkedHashMap<>();

    static {
        COLUMNS.put("c_int2", "int2");
        COLUMNS.put("c_int4", "int4");
        COLUMNS.put("c_int8", "int8");
        COLUMNS.put("c_numeric", "numeric");
        COLUMNS.put("c_numeric_scaled", "numeric(30,10)");
        COLUMNS.put("c_float4", "float4");
        COLUMNS.put("c_float8", "float8");
        COLUMNS.put("c_bool", "bool");
        COLUMNS.put("c_text", "text");
        COLUMNS.put("c_varchar", "varchar(40)");
        COLUMNS.put("c_char", "char(5)");
        COLUMNS.put("c_enum", "contract_mood");
        COLUMNS.put("c_uuid", "uuid");
        COLUMNS.put("c_bytea", "bytea");
        COLUMNS.put("c_date", "date");
        COLUMNS.put("c_time", "time");
        COLUMNS.put("c_timestamp", "timestamp");
        COLUMNS.put("c_timestamptz", "timestamptz");
        COLUMNS.put("c_json", "json");
        COLUMNS.put("c_jsonb", "jsonb");
        COLUMNS.put("c_int4_array", "int4[]");
        COLUMNS.put("c_text_array", "text[]");
        COLUMNS.put("c_numeric_array", "numeric[]");
        COLUMNS.put("c_int4_matrix", "int4[]");
        COLUMNS.put("c_interval", "interval");
        COLUMNS.put("c_inet", "inet");
    }

    private static final String[] DESCRIPTIONS = {"typical values", "all NULL", "extremes and unicode"};

    private TypeMatrix() {
    }

    /** {@code "c_int2" int2, ...}: the columns to put into a CREATE TABLE. */
    public static String columnDefinitions() {
        return COLUMNS.entrySet().stream().map(e -> TableId.quote(e.getKey()) + " " + e.getValue())
                .collect(Collectors.joining(", "));
    }

    /** What row {@code i} of {@link #rows()} stands for. */
    public static String describe(int i) {
        return DESCRIPTIONS[i];
    }

    /** The rows, each a map from column name to the expected typed value. */
    public static List<Map<String, Object>> rows() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        Map<String, Object> typical = new LinkedHashMap<>();
        typical.put("c_int2", (short) 12);
        typical.put("c_int4", 42);
        typical.put("c_int8", 9_000_000_000L);
        typical.put("c_numeric", new BigDecimal("12345.678900"));
        typical.put("c_numeric_scaled", new BigDecimal("3.1415926536"));
        typical.put("c_float4", 1.5f);
        typical.put("c_float8", 2.25d);
        typical.put("c_bool", true);
        typical.put("c_text", "hello");
        typical.put("c_varchar", "varchar value");
        typical.put("c_char", "ab   ");
        typical.put("c_enum", "happy");
        typical.put("c_uuid", UUID.fromString("0e37df36-f698-11e6-8dd4-cb9ced3df976"));
        typical.put("c_bytea", new byte[] {0, 1, 2, (byte) 255});
        typical.put("c_date", LocalDate.of(2024, 2, 29));
        typical.put("c_time", LocalTime.of(13, 45, 30, 123_456_000));
        typical.put("c_timestamp", LocalDateTime.of(2024, 2, 29, 13, 45, 30, 123_456_000));
        typical.put("c_timestamptz", Instant.parse("2024-02-29T12:45:30.123456Z"));
        typical.put("c_json", ColumnDecoder.json("{\"a\": [1, 2.50, \"x\"], \"b\": null}"));
        typical.put("c_jsonb", ColumnDecoder.json("{\"k\": \"v\", \"n\": 1.50, \"nested\": {\"t\": true}}"));
        typical.put("c_int4_array", Arrays.asList(1, null, 3));
        typical.put("c_text_array", List.of("a", "b,c", "d\"e", "{f}", "NULL"));
        typical.put("c_numeric_array", Arrays.asList(new BigDecimal("1.10"), null, new BigDecimal("-0.001")));
        typical.put("c_int4_matrix", List.of(List.of(1, 2), List.of(3, 4)));
        typical.put("c_interval", "1 day 02:03:04");
        typical.put("c_inet", "192.168.0.1/24");

        Map<String, Object> nulls = new LinkedHashMap<>();
        COLUMNS.keySet().forEach(c -> nulls.put(c, null));

        Map<String, Object> extremes = new LinkedHashMap<>();
        extremes.put("c_int2", Short.MIN_VALUE);
        extremes.put("c_int4", Integer.MAX_VALUE);
        extremes.put("c_int8", Long.MIN_VALUE);
        extremes.put("c_numeric", new BigDecimal("-123456789012345678901234567890.123456789012345678901234567890"));
        extremes.put("c_numeric_scaled", new BigDecimal("99999999999999999999.9999999999"));
        extremes.put("c_float4", Float.POSITIVE_INFINITY);
        extremes.put("c_float8", Double.NaN);
        extremes.put("c_bool", false);
        extremes.put("c_text", "Grüße 👋 مرحبا 漢字 'quoted' \\ back\nline");
        extremes.put("c_varchar", "");
        extremes.put("c_char", "äöü  ");
        extremes.put("c_enum", "sad");
        extremes.put("c_uuid", UUID.fromString("ffffffff-ffff-ffff-ffff-ffffffffffff"));
        extremes.put("c_bytea", all);
        extremes.put("c_date", LocalDate.of(1, 1, 1));
        extremes.put("c_time", LocalTime.of(23, 59, 59, 999_999_000));
        extremes.put("c_timestamp", LocalDateTime.of(1900, 1, 1, 0, 0, 0, 1_000));
        extremes.put("c_timestamptz", Instant.parse("1970-01-01T00:00:00.000001Z"));
        extremes.put("c_json", ColumnDecoder.json("[\"ünïcödé\", 12345678901234567890.123456789]"));
        extremes.put("c_jsonb", ColumnDecoder.json("null"));
        extremes.put("c_int4_array", List.of());
        extremes.put("c_text_array", Arrays.asList(null, "", "back\\slash", "ü"));
        extremes.put("c_numeric_array", List.of(new BigDecimal("99999999999999999999999.5")));
        extremes.put("c_int4_matrix", List.of(List.of(Integer.MIN_VALUE), List.of(Integer.MAX_VALUE)));
        extremes.put("c_interval", "-00:00:00.000001");
        extremes.put("c_inet", "::1");
        return List.of(typical, nulls, extremes);
    }

    /** Inserts {@code row} with key {@code id}, every value a bound parameter. */
    public static void insert(Connection c, TableId table, int id, Map<String, Object> row) throws SQLException {
        String cols = COLUMNS.keySet().stream().map(TableId::quote).collect(Collectors.joining(", "));
        String params = COLUMNS.values().stream().map(t -> "?::" + t).collect(Collectors.joining(", "));
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table.quoted() + " (id, " + cols
                + ") VALUES (?, " + params + ")")) {
            ps.setInt(1, id);
            bindAll(ps, 2, row);
            ps.executeUpdate();
        }
    }

    /** Sets every column of row {@code id} to {@code row}'s values. */
    public static void update(Connection c, TableId table, int id, Map<String, Object> row) throws SQLException {
        String sets = COLUMNS.entrySet().stream().map(e -> TableId.quote(e.getKey()) + " = ?::" + e.getValue())
                .collect(Collectors.joining(", "));
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table.quoted() + " SET " + sets
                + ", updated_at = clock_timestamp() WHERE id = ?")) {
            int next = bindAll(ps, 1, row);
            ps.setInt(next, id);
            ps.executeUpdate();
        }
    }

    private static int bindAll(PreparedStatement ps, int first, Map<String, Object> row)
            throws SQLException {
        int i = first;
        for (Map.Entry<String, String> col : COLUMNS.entrySet()) {
            SqlValueBinder.bind(ps, i++, row.get(col.getKey()), ',');
        }
        return i;
    }
}
