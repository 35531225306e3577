package io.cdckit.trigger;

import io.cdckit.api.CdcException;
import io.cdckit.api.jdbc.ColumnDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns logged row images into the typed values of the event model. The log keeps each image in
 * the row's own text form ({@code NEW::text}), which is exact for every type (a jsonb column
 * holding JSON {@code null} stays distinct from SQL NULL, unlike a jsonb image); the server casts
 * it back to the table's row type, many images in one round trip, and {@link ColumnDecoder}
 * reads the columns as every strategy does.
 *
 * <p>Images logged before the table was altered are lined up with its current columns: a column
 * added since is NULL in them; a column dropped since is left out. Where that is ambiguous (a
 * column dropped and another added while entries were unread) or impossible (a column retyped to
 * an incompatible type), decoding fails naming the table and the fix, rather than guess.
 */
final class ImageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    private final Connection connection;

    ImageDecoder(Connection connection) {
        this.connection = connection;
    }

    /**
     * Decodes {@code images} (none null) of {@code table}, in order; returns null when the table
     * was dropped, so its entries cannot be decoded any more. With a row {@code filter} (SQL on
     * the table's columns, {@code cdc.filter.*}), the server also evaluates it on each image and
     * {@code matches} receives the results, in order.
     */
    List<Map<String, Object>> decode(CapturedTable table, List<String> images, String filter, List<Boolean> matches)
            throws SQLException {
        if (table.gone) {
            return null;
        }
        if (images.isEmpty()) {
            return List.of();
        }
        if (!table.isCurrent(connection) && !table.refresh(connection)) {
            return null;
        }
        for (int attempt = 0; ; attempt++) {
            List<String> aligned = new ArrayList<>(images.size());
            for (String image : images) {
                aligned.add(align(table, image));
            }
            try {
                matches.clear();
                List<Map<String, Object>> rows = cast(table, aligned, filter, matches);
                if (rows.isEmpty() || rows.get(0).keySet().equals(table.liveColumnNames())) {
                    return rows;
                }
                // altered between our look at the catalog and the cast
            } catch (SQLException e) {
                if (attempt > 0 || !isMissingType(e)) {
                    throw decodeFailure(table, e);
                }
                // dropped or renamed since we loaded it
            }
            if (attempt > 0) {
                throw new CdcException("Table " + table.id + " keeps changing its columns while its log entries are "
                        + "decoded: retry once the ALTER TABLE statements are done (restart the source).");
            }
            if (!table.refresh(connection)) {
                return null;
            }
        }
    }

    /**
     * The image with its fields lined up with the table's current columns: the fields of an
     * image are the columns that existed, and were not dropped, when it was logged. Columns added
     * later are NULL; columns dropped later are left out. When the catalog allows more than one
     * reading (a column dropped and another added while entries were unread), fails rather than
     * guess.
     */
    private static String align(CapturedTable table, String image) {
        List<String> fields = RowText.fields(image);
        int[] mapping = ColumnHistory.mapping(table.dropped, fields.size());
        if (mapping == null) {
            throw new CdcException("A log entry of " + table.id + " has " + fields.size() + " columns, which cannot "
                    + "be lined up with its current columns unambiguously (columns were dropped and added while "
                    + "entries were unread). Drain the log of a table before such changes; to skip its unread "
                    + "entries, delete them: DELETE FROM <cdc.trigger.schema>.change_log WHERE relid = " + table.oid
                    + ";");
        }
        if (mapping.length == fields.size() && isIdentity(mapping)) {
            return image;
        }
        List<String> out = new ArrayList<>(mapping.length);
        for (int index : mapping) {
            out.add(index < 0 ? "" : fields.get(index));
        }
        return RowText.join(out);
    }

    private static boolean isIdentity(int[] mapping) {
        for (int i = 0; i < mapping.length; i++) {
            if (mapping[i] != i) {
                return false;
            }
        }
        return true;
    }

    private List<Map<String, Object>> cast(CapturedTable table, List<String> images, String filter,
                                           List<Boolean> matches) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>(images.size());
        Array array = connection.createArrayOf("text", images.toArray());
        // the filter sees the image's columns under the alias t, as in the snapshot's chunk reads
        String sql = "SELECT t.\"cdckit ord\", " + (filter == null ? "NULL::boolean" : "(" + filter + ")")
                + ", t.* FROM (SELECT u.i AS \"cdckit ord\", r.* FROM pg_catalog.unnest(?::text[]) "
                + "WITH ORDINALITY AS u(img, i) CROSS JOIN LATERAL pg_catalog.unnest(ARRAY[u.img::"
                + table.id.quoted() + "]) AS r) AS t ORDER BY 1";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    if (filter != null) {
                        matches.add(rs.getBoolean(2));
                    }
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int col = 4; col <= md.getColumnCount(); col++) {
                        row.put(md.getColumnLabel(col), ColumnDecoder.decode(rs, col));
                    }
                    out.add(Collections.unmodifiableMap(row));
                }
            }
        } finally {
            array.free();
        }
        return out;
    }

    private static boolean isMissingType(SQLException e) {
        String state = e.getSQLState();
        return "42704".equals(state) || "42P01".equals(state) || "3F000".equals(state);
    }

    private static CdcException decodeFailure(CapturedTable table, SQLException e) {
        LOG.debug("decoding log entries of {} failed", table.id, e);
        return new CdcException("Log entries of " + table.id + " cannot be decoded with its current columns ("
                + e.getMessage() + "), most likely because a column changed its type while entries were unread. "
                + "Drain the log of a table before changing column types; to skip its unread entries, delete them: "
                + "DELETE FROM <cdc.trigger.schema>.change_log WHERE relid = " + table.oid + ";", e);
    }
}
