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
 * added since is NULL in them; a column dropped since is left out. Anything else (a column both
 * dropped and added, or retyped, while entries were unread) fails naming the table and the fix.
 */
final class ImageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    private final Connection connection;

    ImageDecoder(Connection connection) {
        this.connection = connection;
    }

    /**
     * Decodes {@code images} (none null) of {@code table}, in order; returns null when the table
     * was dropped, so its entries cannot be decoded any more.
     */
    List<Map<String, Object>> decode(CapturedTable table, List<String> images) throws SQLException {
        if (images.isEmpty() || table.gone) {
            return table.gone ? null : List.of();
        }
        boolean refreshed = false;
        int live = table.schema.columns().size();
        if (images.stream().anyMatch(image -> RowText.fields(image).size() != live)) {
            // the table changed since we loaded it, or these entries were logged before it did
            if (!table.refresh(connection)) {
                return null;
            }
            refreshed = true;
        }
        while (true) {
            List<String> aligned = new ArrayList<>(images.size());
            for (String image : images) {
                String a = align(table, image);
                if (a == null) {
                    throw new CdcException("Log entries of " + table.id + " do not match its columns any more (a "
                            + "column was dropped and another added while entries were unread), so they cannot be "
                            + "decoded. Drain the log of a table before such changes; to skip its unread entries, "
                            + "delete them: DELETE FROM <cdc.trigger.schema>.change_log WHERE relid = " + table.oid
                            + ";");
                }
                aligned.add(a);
            }
            try {
                return cast(table, aligned);
            } catch (SQLException e) {
                if (refreshed || !isMissingType(e)) {
                    throw decodeFailure(table, e);
                }
                // dropped or renamed since we loaded it
                if (!table.refresh(connection)) {
                    return null;
                }
                refreshed = true;
            }
        }
    }

    /** The image with its fields lined up with the current columns, or null when they cannot be. */
    private static String align(CapturedTable table, String image) {
        int live = table.schema.columns().size();
        List<String> fields = RowText.fields(image);
        if (fields.size() == live) {
            return image;
        }
        if (fields.size() < live) {
            List<String> padded = new ArrayList<>(fields);
            while (padded.size() < live) {
                padded.add("");
            }
            return RowText.join(padded);
        }
        if (fields.size() == table.dropped.size()) {
            List<String> kept = new ArrayList<>(live);
            for (int i = 0; i < fields.size(); i++) {
                if (!table.dropped.get(i)) {
                    kept.add(fields.get(i));
                }
            }
            return RowText.join(kept);
        }
        return null;
    }

    private List<Map<String, Object>> cast(CapturedTable table, List<String> images) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>(images.size());
        Array array = connection.createArrayOf("text", images.toArray());
        try (PreparedStatement ps = connection.prepareStatement("SELECT u.i, r.* FROM pg_catalog.unnest(?::text[]) "
                + "WITH ORDINALITY AS u(img, i) CROSS JOIN LATERAL pg_catalog.unnest(ARRAY[u.img::"
                + table.id.quoted() + "]) AS r ORDER BY u.i")) {
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int col = 2; col <= md.getColumnCount(); col++) {
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
