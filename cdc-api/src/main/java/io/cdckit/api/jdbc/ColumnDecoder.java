package io.cdckit.api.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdckit.api.ChangeEventJson;
import io.cdckit.api.HandedOver;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Reads PostgreSQL columns from a {@link ResultSet} as the typed values of the event model:
 * int2→Short, int4→Integer, int8→Long, numeric→BigDecimal, float4→Float, float8→Double,
 * bool→Boolean, text/varchar/char/name/enum→String, uuid→UUID, bytea→byte[], date→LocalDate,
 * time→LocalTime, timestamp→LocalDateTime, timestamptz→Instant, json/jsonb→JsonNode,
 * arrays→List, anything else→String (PostgreSQL's text output), NULL→null.
 *
 * <p>A numeric {@code NaN} or {@code ±Infinity}, which BigDecimal cannot hold, is returned as the
 * String PostgreSQL prints. Every strategy decodes through this class, so the same row state
 * gives the same values whatever the strategy.
 */
public final class ColumnDecoder {

    /** The codec's mapper: exact decimals with their scale, and room for PostgreSQL's largest numerics. */
    private static final ObjectMapper JSON = ChangeEventJson.mapper();

    private ColumnDecoder() {
    }

    /** The current row as a map from column label to typed value, in column order. */
    public static Map<String, Object> row(ResultSet rs) throws SQLException {
        return rowFrom(rs, 1);
    }

    /** The current row's columns from {@code first} (1-based) on, as {@link #row} maps them. */
    public static Map<String, Object> rowFrom(ResultSet rs, int first) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = first; i <= md.getColumnCount(); i++) {
            row.put(md.getColumnLabel(i), decode(rs, i));
        }
        return HandedOver.map(row);
    }

    /** One column of the current row as a typed value. */
    public static Object decode(ResultSet rs, int column) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        return decode(rs, column, md.getColumnTypeName(column), md.getColumnType(column));
    }

    private static Object decode(ResultSet rs, int col, String typeName, int sqlType) throws SQLException {
        String type = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
        switch (type) {
            case "int2", "smallserial" -> {
                short v = rs.getShort(col);
                return rs.wasNull() ? null : v;
            }
            case "int4", "serial" -> {
                int v = rs.getInt(col);
                return rs.wasNull() ? null : v;
            }
            case "int8", "bigserial" -> {
                long v = rs.getLong(col);
                return rs.wasNull() ? null : v;
            }
            case "numeric" -> {
                return numeric(rs.getString(col));
            }
            case "float4" -> {
                float v = rs.getFloat(col);
                return rs.wasNull() ? null : v;
            }
            case "float8" -> {
                double v = rs.getDouble(col);
                return rs.wasNull() ? null : v;
            }
            case "bool" -> {
                boolean v = rs.getBoolean(col);
                return rs.wasNull() ? null : v;
            }
            case "text", "varchar", "bpchar", "name", "char" -> {
                return rs.getString(col);
            }
            case "uuid" -> {
                Object v = rs.getObject(col);
                return v == null ? null : v instanceof UUID u ? u : UUID.fromString(v.toString());
            }
            case "bytea" -> {
                return rs.getBytes(col);
            }
            case "date" -> {
                return rs.getObject(col, LocalDate.class);
            }
            case "time" -> {
                return rs.getObject(col, LocalTime.class);
            }
            case "timestamp" -> {
                return rs.getObject(col, LocalDateTime.class);
            }
            case "timestamptz" -> {
                OffsetDateTime v = rs.getObject(col, OffsetDateTime.class);
                return v == null ? null : v.toInstant();
            }
            case "json", "jsonb" -> {
                return json(rs.getString(col));
            }
            default -> {
                if (type.startsWith("_") || sqlType == Types.ARRAY) {
                    Array a = rs.getArray(col);
                    return a == null ? null : list(a);
                }
                return rs.getString(col);
            }
        }
    }

    private static List<Object> list(Array array) throws SQLException {
        try (ResultSet rs = array.getResultSet()) {
            ResultSetMetaData md = rs.getMetaData();
            String elementType = md.getColumnTypeName(2);
            int elementSqlType = md.getColumnType(2);
            List<Object> out = new ArrayList<>();
            while (rs.next()) {
                out.add(decode(rs, 2, elementType, elementSqlType));
            }
            return Collections.unmodifiableList(out);
        } finally {
            array.free();
        }
    }

    /** A numeric's text as BigDecimal with its scale; NaN and ±Infinity stay text. */
    public static Object numeric(String text) {
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "NaN", "Infinity", "-Infinity" -> text;
            default -> new BigDecimal(text);
        };
    }

    /** Parses JSON text into a JsonNode, keeping decimals exact. */
    public static JsonNode json(String text) {
        if (text == null) {
            return null;
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("column holds invalid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
