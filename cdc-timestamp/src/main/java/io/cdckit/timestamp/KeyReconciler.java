package io.cdckit.timestamp;

import io.cdckit.api.TableId;
import io.cdckit.api.jdbc.ColumnDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds hard deletes: keys seen that the table no longer has. Compares, over a key range, the
 * number of keys and the sum of their 64-bit hashes ({@code hashtextextended} of the key's text)
 * in the table (soft-deleted rows left out) and in the keys seen. Equal ranges are done; a range
 * that differs is cut, at every n-th key of the table, into 16 smaller ranges, recursively, until a
 * range holds at most {@code leafSize} keys of the table; there the keys seen that the table lacks
 * are listed. When nothing was deleted, a check costs two aggregates over the primary-key indexes
 * (the whole key range at once); a delete adds about one pass per level over the ranges on its path.
 * Keys the table has and the keys seen lack (rows not yet delivered) only make a range differ and
 * are never reported.
 *
 * <p>Each statement may run in a snapshot of its own (the reader runs them in autocommit mode, so
 * that no transaction lasts longer than one statement over a key range): the keys seen change only
 * on the reader's thread, never while it reconciles; a key is reported only by the statement that
 * lists it, as seen and absent from the table in that statement's snapshot, so it was delivered and
 * is deleted; a range found equal had no deleted key in its statement's snapshot, and a delete
 * after it is found by a later reconciliation; cuts are only where ranges end.
 */
final class KeyReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(KeyReconciler.class);
    private static final int FANOUT = 16;

    private final int leafSize;

    KeyReconciler(int leafSize) {
        this.leafSize = leafSize;
    }

    /**
     * A key seen that the table no longer has.
     *
     * @param key   the typed key columns
     * @param texts the key columns' texts, as in positions
     */
    record Missing(Map<String, Object> key, List<String> texts) {
    }

    private record Digest(long count, String hash) {
    }

    /** Work done by one reconciliation, for the log. */
    private static final class Stats {
        int ranges;
        int listed;
    }

    /**
     * Up to {@code limit} keys seen that {@code t} no longer has, in key order, leaving out
     * {@code skip} (deletes already reported but not yet committed), among the keys up to
     * {@code upTo} (the text form of a key; null: all keys).
     */
    List<Missing> missing(Connection c, CapturedTable t, int limit, Set<List<String>> skip, List<String> upTo)
            throws SQLException {
        long started = System.nanoTime();
        List<Missing> out = new ArrayList<>();
        Stats stats = new Stats();
        compare(c, t, null, upTo, limit, skip, out, stats);
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (!out.isEmpty() || ms > 1000) {
            LOG.info("Key reconciliation of {} compared {} key ranges, listed {} and found {} deleted keys in {} ms",
                    t.id(), stats.ranges, stats.listed, out.size(), ms);
        } else {
            LOG.debug("Key reconciliation of {}: {} ranges compared in {} ms, nothing deleted", t.id(), stats.ranges, ms);
        }
        return out;
    }

    private void compare(Connection c, CapturedTable t, List<String> lo, List<String> hi, int limit,
                         Set<List<String>> skip, List<Missing> out, Stats stats) throws SQLException {
        if (out.size() >= limit) {
            return;
        }
        stats.ranges++;
        Digest table = digest(c, t, t.id(), lo, hi, true);
        Digest seen = digest(c, t, t.shadow(), lo, hi, false);
        if (table.equals(seen)) {
            return;
        }
        if (table.count() <= leafSize) {
            stats.listed++;
            list(c, t, lo, hi, limit, skip, out);
            return;
        }
        long step = Math.max(leafSize, (table.count() + FANOUT - 1) / FANOUT);
        List<String> from = lo;
        for (List<String> cut : cuts(c, t, lo, hi, step)) {
            compare(c, t, from, cut, limit, skip, out, stats);
            from = cut;
        }
        compare(c, t, from, hi, limit, skip, out, stats);
    }

    private static String range(CapturedTable t, String alias, List<String> lo, List<String> hi) {
        StringBuilder sb = new StringBuilder("TRUE");
        if (lo != null) {
            sb.append(" AND ").append(CapturedTable.compare(t.keyColumns(), t.keyTypes(), alias, ">"));
        }
        if (hi != null) {
            sb.append(" AND ").append(CapturedTable.compare(t.keyColumns(), t.keyTypes(), alias, "<="));
        }
        return sb.toString();
    }

    private static int bindRange(PreparedStatement ps, int index, List<String> lo, List<String> hi)
            throws SQLException {
        for (List<String> bound : java.util.Arrays.asList(lo, hi)) {
            if (bound != null) {
                for (String v : bound) {
                    ps.setString(index++, v);
                }
            }
        }
        return index;
    }

    private Digest digest(Connection c, CapturedTable t, TableId relation, List<String> lo, List<String> hi,
                          boolean leaveOutSoftDeleted) throws SQLException {
        String sql = "SELECT count(*), coalesce(sum(hashtextextended(ROW(" + CapturedTable.list(t.keyColumns(), "x")
                + ")::text, 0)), 0)::text FROM " + relation.quoted() + " x WHERE " + range(t, "x", lo, hi)
                + (leaveOutSoftDeleted && t.hasDeletedColumn() ? " AND NOT (" + t.deletedPredicate("x") + ")" : "");
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bindRange(ps, 1, lo, hi);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Digest(rs.getLong(1), rs.getString(2));
            }
        }
    }

    /** Every {@code step}-th key of the table in the range: the ends of the smaller ranges. */
    private List<List<String>> cuts(Connection c, CapturedTable t, List<String> lo, List<String> hi, long step)
            throws SQLException {
        int n = t.keyColumns().size();
        StringBuilder texts = new StringBuilder();
        for (String k : t.keyColumns()) {
            texts.append(texts.isEmpty() ? "" : ", ").append("y.").append(TableId.quote(k)).append("::text");
        }
        String sql = "SELECT " + texts + " FROM (SELECT " + CapturedTable.list(t.keyColumns(), "x")
                + ", row_number() OVER (ORDER BY " + CapturedTable.list(t.keyColumns(), "x") + ") AS cdckit_rn FROM "
                + t.id().quoted() + " x WHERE " + range(t, "x", lo, hi)
                + (t.hasDeletedColumn() ? " AND NOT (" + t.deletedPredicate("x") + ")" : "")
                + ") y WHERE y.cdckit_rn % ? = 0 ORDER BY y.cdckit_rn";
        List<List<String>> cuts = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = bindRange(ps, 1, lo, hi);
            ps.setLong(i, step);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> cut = new ArrayList<>(n);
                    for (int j = 1; j <= n; j++) {
                        cut.add(rs.getString(j));
                    }
                    cuts.add(Collections.unmodifiableList(cut));
                }
            }
        }
        return cuts;
    }

    private void list(Connection c, CapturedTable t, List<String> lo, List<String> hi, int limit,
                      Set<List<String>> skip, List<Missing> out) throws SQLException {
        List<String> keys = t.keyColumns();
        int n = keys.size();
        StringBuilder sql = new StringBuilder("SELECT ").append(CapturedTable.list(keys, "s"));
        for (String k : keys) {
            sql.append(", s.").append(TableId.quote(k)).append("::text");
        }
        sql.append(" FROM ").append(t.shadow().quoted()).append(" s WHERE ").append(range(t, "s", lo, hi))
                .append(" AND NOT EXISTS (SELECT 1 FROM ").append(t.id().quoted()).append(" x WHERE ");
        for (int i = 0; i < n; i++) {
            sql.append(i == 0 ? "" : " AND ").append("x.").append(TableId.quote(keys.get(i))).append(" = s.")
                    .append(TableId.quote(keys.get(i)));
        }
        // the range again on the table's side, so that a merge anti join reads the table's keys from
        // the range's start, not from the table's: listing a range costs the range, wherever it lies
        sql.append(" AND ").append(range(t, "x", lo, hi));
        sql.append(") ORDER BY ").append(CapturedTable.list(keys, "s")).append(" LIMIT ?");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = bindRange(ps, 1, lo, hi);
            i = bindRange(ps, i, lo, hi);
            ps.setInt(i, limit - out.size() + skip.size());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && out.size() < limit) {
                    Map<String, Object> key = new LinkedHashMap<>();
                    List<String> texts = new ArrayList<>(n);
                    for (int j = 1; j <= n; j++) {
                        key.put(keys.get(j - 1), ColumnDecoder.decode(rs, j));
                        texts.add(rs.getString(n + j));
                    }
                    if (!skip.contains(texts)) {
                        out.add(new Missing(Collections.unmodifiableMap(key), List.copyOf(texts)));
                    }
                }
            }
        }
    }
}
