package io.cdckit.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Columns per table, the value of {@code cdc.key.columns} and the {@code cdc.columns.*} keys,
 * written like Debezium's {@code message.key.columns}:
 * {@code schema.table:col1,col2;schema.other:col}. Names are folded like SQL identifiers: plain
 * names as written in lower case, double-quoted ones exactly.
 *
 * <p>As key columns they must be NOT NULL and unique (a unique index on some of them, or the
 * primary key): snapshots read a table in key order chunk by chunk, and equal or NULL keys would
 * make them skip rows.
 * {@link io.cdckit.api.jdbc.TableSchema#load(java.sql.Connection, TableId, TableColumns)} checks
 * that and names the fix.
 *
 * @param columns columns by table, in the order given
 */
public record TableColumns(Map<TableId, List<String>> columns) {

    /** No columns for any table. */
    public static final TableColumns NONE = new TableColumns(Map.of());

    /** Freezes the map. */
    public TableColumns {
        Map<TableId, List<String>> copy = new LinkedHashMap<>();
        columns.forEach((t, c) -> copy.put(Objects.requireNonNull(t, "table"), List.copyOf(c)));
        columns = Collections.unmodifiableMap(copy);
    }

    /** The columns given for {@code table}, or null when none are. */
    public List<String> of(TableId table) {
        return columns.get(table);
    }

    /**
     * Parses {@code schema.table:col,col;schema.table:col}.
     *
     * @throws IllegalArgumentException saying what is expected
     */
    public static TableColumns parse(String text) {
        Map<TableId, List<String>> m = new LinkedHashMap<>();
        for (String entry : split(text, ';')) {
            if (entry.isBlank()) {
                continue;
            }
            List<String> parts = split(entry, ':');
            if (parts.size() != 2 || parts.get(1).isBlank()) {
                throw new IllegalArgumentException("schema.table:column,column entries separated by ';', e.g. "
                        + "public.orders:order_no;public.lines:order_no,line_no, but '" + entry.strip()
                        + "' has no ':column'");
            }
            TableId table = TableId.parse(parts.get(0));
            List<String> cols = new ArrayList<>();
            for (String c : split(parts.get(1), ',')) {
                cols.add(identifier(c.strip(), entry));
            }
            if (m.put(table, cols) != null) {
                throw new IllegalArgumentException("one entry per table, but " + table + " has two");
            }
        }
        return new TableColumns(m);
    }

    /** In Debezium's {@code message.key.columns} syntax (table names as regular expressions, quoted literally). */
    public String debeziumValue() {
        return columns.entrySet().stream().map(e -> java.util.regex.Pattern.quote(e.getKey().schema()) + "\\."
                        + java.util.regex.Pattern.quote(e.getKey().table()) + ":" + String.join(",", e.getValue()))
                .collect(Collectors.joining(";"));
    }

    /** The config text that parses back to this value. */
    @Override
    public String toString() {
        return columns.entrySet().stream().map(e -> e.getKey() + ":"
                        + e.getValue().stream().map(TableColumns::display).collect(Collectors.joining(",")))
                .collect(Collectors.joining(";"));
    }

    private static String display(String column) {
        return column.matches("[a-z_][a-z0-9_$]*") ? column : TableId.quote(column);
    }

    private static String identifier(String s, String entry) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("column names after ':' in '" + entry.strip() + "'");
        }
        if (s.startsWith("\"")) {
            if (s.length() < 2 || !s.endsWith("\"")) {
                throw new IllegalArgumentException("a closing '\"' in '" + s + "'");
            }
            return s.substring(1, s.length() - 1).replace("\"\"", "\"");
        }
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    /** Splits at {@code sep} outside double quotes. */
    private static List<String> split(String s, char sep) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == sep && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
