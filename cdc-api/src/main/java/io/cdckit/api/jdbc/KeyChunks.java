package io.cdckit.api.jdbc;

import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Reads a table in primary-key order, one chunk at a time: {@code WHERE (k1, k2) > (after) AND
 * (k1, k2) <= (upTo) ORDER BY k1, k2 LIMIT n}, which the primary key's index answers in time
 * linear in the rows read, whatever else the table holds. Keys travel as their text form and are
 * cast back to the column's type and compared with the column's own collation in SQL, so the
 * order is the database's for every key type (text with its collation, numeric, uuid,
 * timestamps, composite keys); Java never compares keys.
 */
public final class KeyChunks {

    private final TableSchema schema;
    private final String select;
    private final String keyOrder;
    private final String keyRow;
    private final String paramRow;
    private final int keyCount;
    private final String filter;

    private KeyChunks(TableSchema schema, List<String> collations, String filter) {
        this.schema = schema;
        this.filter = filter;
        List<String> key = schema.primaryKey();
        this.keyCount = key.size();
        StringJoiner order = new StringJoiner(", ");
        StringJoiner row = new StringJoiner(", ", "(", ")");
        StringJoiner params = new StringJoiner(", ", "(", ")");
        StringJoiner texts = new StringJoiner(", ");
        for (int i = 0; i < key.size(); i++) {
            String q = "t." + TableId.quote(key.get(i));
            String collate = collations.get(i) == null ? "" : " COLLATE " + collations.get(i);
            order.add(q + collate);
            row.add(q + collate);
            params.add("CAST(? AS " + schema.column(key.get(i)).type() + ")" + collate);
            texts.add(q + "::text AS " + TableId.quote("cdckit key " + (i + 1)));
        }
        this.keyOrder = order.toString();
        this.keyRow = row.toString();
        this.paramRow = params.toString();
        this.select = "SELECT " + texts + ", " + schema.quotedColumnList() + " FROM " + schema.id().quoted() + " t";
    }

    /**
     * The chunk reader of {@code schema}'s table, with the key columns' collations read from the
     * catalog.
     *
     * @throws CdcException naming the fix when the table has no primary key
     */
    public static KeyChunks of(Connection c, TableSchema schema) throws SQLException {
        return of(c, schema, null);
    }

    /**
     * The chunk reader of {@code schema}'s table that reads only the rows for which
     * {@code filter} (a row filter, {@link io.cdckit.api.RowFilters}; null for all rows) is true.
     */
    public static KeyChunks of(Connection c, TableSchema schema, String filter) throws SQLException {
        schema.requirePrimaryKey();
        List<String> collations = new ArrayList<>();
        for (String k : schema.primaryKey()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.quote_ident(n.nspname) || '.' || "
                    + "pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_attribute a "
                    + "JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
                    + "JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace "
                    + "WHERE a.attrelid = CAST(? AS regclass) AND a.attname = ?")) {
                ps.setString(1, schema.id().quoted());
                ps.setString(2, k);
                try (ResultSet rs = ps.executeQuery()) {
                    collations.add(rs.next() ? rs.getString(1) : null);
                }
            }
        }
        return new KeyChunks(schema, collations, filter);
    }

    /** The table's schema. */
    public TableSchema schema() {
        return schema;
    }

    /** The text form of the table's largest key now, or null when it is empty. */
    public List<String> maxKey(Connection c) throws SQLException {
        StringJoiner desc = new StringJoiner(", ");
        for (String part : keyOrder.split(", ")) {
            desc.add(part + " DESC");
        }
        try (PreparedStatement ps = c.prepareStatement(select + " ORDER BY " + desc + " LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? keyText(rs) : null;
        }
    }

    /**
     * Up to {@code size} rows with keys above {@code after} (null: from the first) and at most
     * {@code upTo} (null: no bound), in key order, in the caller's transaction.
     */
    public Chunk read(Connection c, List<String> after, List<String> upTo, int size) throws SQLException {
        StringBuilder sql = new StringBuilder(select);
        String where = " WHERE ";
        if (after != null) {
            sql.append(where).append(keyRow).append(" > ").append(paramRow);
            where = " AND ";
        }
        if (upTo != null) {
            sql.append(where).append(keyRow).append(" <= ").append(paramRow);
            where = " AND ";
        }
        if (filter != null) {
            sql.append(where).append("(").append(filter).append(")");
        }
        // one row more than asked tells whether this is the last chunk, so a table whose size is a
        // multiple of the chunk size needs no empty chunk at its end
        sql.append(" ORDER BY ").append(keyOrder).append(" LIMIT ").append(size + 1);
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (List<String> bound : new List[] {after, upTo}) {
                if (bound != null) {
                    for (String v : bound) {
                        ps.setString(i++, v);
                    }
                }
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            List<String> last = null;
            boolean more = false;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rows.size() == size) {
                        more = true;
                        break;
                    }
                    last = keyText(rs);
                    rows.add(ColumnDecoder.rowFrom(rs, keyCount + 1));
                }
            }
            return new Chunk(rows, last, !more);
        }
    }

    private List<String> keyText(ResultSet rs) throws SQLException {
        List<String> key = new ArrayList<>(keyCount);
        for (int i = 1; i <= keyCount; i++) {
            key.add(rs.getString(i));
        }
        return key;
    }

    /**
     * One chunk.
     *
     * @param rows    the rows, decoded as every strategy decodes them, in key order
     * @param lastKey the text form of the last row's key, or null when the chunk is empty
     * @param last    true when no rows are left up to the bound after this chunk
     */
    public record Chunk(List<Map<String, Object>> rows, List<String> lastKey, boolean last) {
        /** Freezes the lists. */
        public Chunk {
            rows = List.copyOf(rows);
            lastKey = lastKey == null ? null : List.copyOf(lastKey);
        }
    }
}
