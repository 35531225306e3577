package io.cdckit.examples.demo;

import io.cdckit.api.TableId;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Compares a replica table with its source table, every row and every column: both are read in
 * key order with each row as the text of all the source's columns (PostgreSQL's own text output,
 * {@code \N} for NULL), giving row counts, an ordered MD5 checksum per side and which keys are
 * missing, extra or different in the replica.
 */
final class ReplicaComparison {

    private ReplicaComparison() {
    }

    /**
     * One table compared.
     *
     * @param problem why the replica could not be read (missing table or column), or null
     */
    record Result(TableId table, long sourceRows, long replicaRows, String sourceChecksum, String replicaChecksum,
                  List<String> missing, List<String> extra, List<String> different, String problem,
                  List<TypeChange> typeChanges) {

        boolean equal() {
            return problem == null && sourceChecksum.equals(replicaChecksum);
        }

        /** What differs, for the summary: at most a few keys of each kind. */
        String differences() {
            if (problem != null) {
                return problem;
            }
            List<String> parts = new ArrayList<>();
            if (!missing.isEmpty()) {
                parts.add(missing.size() + " rows missing (key " + firstFew(missing) + ")");
            }
            if (!extra.isEmpty()) {
                parts.add(extra.size() + " rows extra (key " + firstFew(extra) + ")");
            }
            if (!different.isEmpty()) {
                parts.add(different.size() + " rows different (key " + firstFew(different) + ")");
            }
            return String.join(", ", parts);
        }

        private static String firstFew(List<String> keys) {
            return keys.stream().limit(5).collect(Collectors.joining(", ")) + (keys.size() > 5 ? ", ..." : "");
        }
    }

    /** A column whose type in the replica is not the source's. */
    record TypeChange(String column, String sourceType, String replicaType) {

        String change() {
            return sourceType + " → " + replicaType;
        }
    }

    /** Row counts only, for progress lines: -1 when the replica does not have the table yet. */
    static long count(Connection c, TableId table) throws SQLException {
        try (PreparedStatement exists = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            exists.setString(1, table.quoted());
            try (ResultSet rs = exists.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return -1;
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table.quoted());
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Compares {@code table} in the replica with the same table in the source. */
    static Result compare(Connection source, Connection replica, TableId table) throws SQLException {
        List<String> columns = columns(source, table);
        List<String> key = primaryKey(source, table);
        Map<String, String> src = rows(source, table, columns, key);
        String srcSum = checksum(src);
        Map<String, String> rep;
        try {
            rep = rows(replica, table, columns, key);
        } catch (SQLException e) {
            String problem = "replica unreadable: " + e.getMessage().lines().findFirst().orElse("");
            return new Result(table, src.size(), count(replica, table), srcSum, "-", List.of(), List.of(), List.of(),
                    problem, List.of());
        }
        List<String> missing = new ArrayList<>();
        List<String> different = new ArrayList<>();
        src.forEach((k, row) -> {
            String other = rep.get(k);
            if (other == null) {
                missing.add(k);
            } else if (!other.equals(row)) {
                different.add(k);
            }
        });
        List<String> extra = rep.keySet().stream().filter(k -> !src.containsKey(k)).toList();
        Map<String, String> sourceTypes = types(source, table);
        Map<String, String> replicaTypes = types(replica, table);
        List<TypeChange> typeChanges = new ArrayList<>();
        sourceTypes.forEach((column, type) -> {
            String other = replicaTypes.get(column);
            if (!type.equals(other)) {
                typeChanges.add(new TypeChange(column, type, other));
            }
        });
        return new Result(table, src.size(), rep.size(), srcSum, checksum(rep), missing, extra, different, null,
                typeChanges);
    }

    /** Column → type as {@code format_type} prints it, in column order. */
    private static Map<String, String> types(Connection c, TableId table) throws SQLException {
        Map<String, String> types = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname, format_type(atttypid, atttypmod)"
                + " FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return types;
    }

    /** The table's columns in the source, in their order. */
    private static List<String> columns(Connection c, TableId table) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        return columns;
    }

    /** The table's primary key columns in the source, in key order. */
    private static List<String> primaryKey(Connection c, TableId table) throws SQLException {
        List<String> key = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname FROM pg_index i"
                + " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY k.n")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    key.add(rs.getString(1));
                }
            }
        }
        if (key.isEmpty()) {
            throw new SQLException(table + " has no primary key to compare by");
        }
        return key;
    }

    /** Key text → row text, in key order. */
    private static Map<String, String> rows(Connection c, TableId table, List<String> columns, List<String> key)
            throws SQLException {
        String keyText = key.stream().map(k -> quote(k) + "::text").collect(Collectors.joining(" || ',' || "));
        String rowText = columns.stream().map(col -> "coalesce(" + quote(col) + "::text, '\\N')")
                .collect(Collectors.joining(" || '|' || "));
        String order = key.stream().map(ReplicaComparison::quote).collect(Collectors.joining(", "));
        Map<String, String> rows = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + keyText + ", " + rowText + " FROM "
                + table.quoted() + " ORDER BY " + order);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getString(2));
            }
        }
        return rows;
    }

    private static String checksum(Map<String, String> rows) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            for (String row : rows.values()) {
                md5.update(row.getBytes(StandardCharsets.UTF_8));
                md5.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md5.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is part of every Java runtime", e);
        }
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
