package io.cdckit.api;

import java.util.Objects;

/**
 * A table's schema and name, exactly as stored in the catalog (case-sensitive, unquoted).
 *
 * <p>{@link #parse(String)} accepts the {@code cdc.tables} syntax: {@code schema.table}, with
 * double quotes around parts that contain dots, spaces, quotes or upper case
 * ({@code "My Schema"."Order ""Lines"""}). An unquoted part is folded to lower case, as
 * PostgreSQL does. {@link #quoted()} gives the form safe to put into SQL.
 *
 * @param schema schema name, never null
 * @param table  table name, never null
 */
public record TableId(String schema, String table) implements Comparable<TableId> {

    /** Validates that both parts are present. */
    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
        if (schema.isEmpty() || table.isEmpty()) {
            throw new IllegalArgumentException("schema and table must not be empty");
        }
    }

    /**
     * Parses {@code schema.table} (or {@code table}, meaning {@code public.table}).
     *
     * @throws IllegalArgumentException naming the problem when the text is not a table name
     */
    public static TableId parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        java.util.List<String> parts = new java.util.ArrayList<>();
        int i = 0;
        while (i <= s.length()) {
            if (i == s.length()) {
                throw new IllegalArgumentException("'" + text + "' is not a table name: expected schema.table");
            }
            StringBuilder part = new StringBuilder();
            if (s.charAt(i) == '"') {
                i++;
                boolean closed = false;
                while (i < s.length()) {
                    char c = s.charAt(i);
                    if (c == '"') {
                        if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
                            part.append('"');
                            i += 2;
                            continue;
                        }
                        closed = true;
                        i++;
                        break;
                    }
                    part.append(c);
                    i++;
                }
                if (!closed) {
                    throw new IllegalArgumentException("'" + text + "' has an unclosed double quote");
                }
            } else {
                while (i < s.length() && s.charAt(i) != '.') {
                    char c = s.charAt(i);
                    if (!(Character.isLetterOrDigit(c) || c == '_' || c == '$')) {
                        throw new IllegalArgumentException("'" + text + "' is not a table name: character '" + c
                                + "' needs the part to be double-quoted, e.g. \"my table\"");
                    }
                    part.append(Character.toLowerCase(c));
                    i++;
                }
            }
            if (part.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' is not a table name: empty part");
            }
            parts.add(part.toString());
            if (i == s.length()) {
                break;
            }
            if (s.charAt(i) != '.') {
                throw new IllegalArgumentException("'" + text + "' is not a table name: expected '.' after "
                        + parts.get(parts.size() - 1));
            }
            i++;
        }
        if (parts.size() == 1) {
            return new TableId("public", parts.get(0));
        }
        if (parts.size() == 2) {
            return new TableId(parts.get(0), parts.get(1));
        }
        throw new IllegalArgumentException("'" + text + "' is not a table name: expected schema.table, got "
                + parts.size() + " parts");
    }

    /** Quotes one identifier for SQL: {@code my "x"} becomes {@code "my ""x"""}. */
    public static String quote(String identifier) {
        Objects.requireNonNull(identifier, "identifier");
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** The quoted {@code "schema"."table"} form, safe to splice into SQL. */
    public String quoted() {
        return quote(schema) + "." + quote(table);
    }

    /** {@code schema.table}, quoting only the parts that need it; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return display(schema) + "." + display(table);
    }

    private static String display(String part) {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean plain = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && (c >= '0' && c <= '9' || c == '$'));
            if (!plain) {
                return quote(part);
            }
        }
        return part;
    }

    @Override
    public int compareTo(TableId o) {
        int c = schema.compareTo(o.schema);
        return c != 0 ? c : table.compareTo(o.table);
    }
}
