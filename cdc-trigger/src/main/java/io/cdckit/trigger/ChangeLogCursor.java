package io.cdckit.trigger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the reader stands in the change log, and how it reads the next page. Batch n holds the
 * entries of the transactions visible in snapshot {@code cur} but not in {@code prev}, in log id
 * order; within it the cursor stands after log id {@code afterId}. A batch that fits a page (the
 * usual case) costs one scan of its xid range. Once a page comes back full, the addresses of the
 * rest of the batch are fetched in id order in one scan (in chunks), and pages are read by address
 * from then on: a large batch is then scanned once per chunk instead of once per page.
 */
final class ChangeLogCursor {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeLogCursor.class);
    /** Entries of a large batch whose addresses are fetched at once, so the batch is not scanned per page. */
    private static final int BATCH_REST_CHUNK = 100_000;

    /** One log entry; {@code ctid} is where the row was read, for reading or deleting it again cheaply. */
    record LogEntry(long id, String ctid, long xid, long relid, char op, String oldRow, String newRow, Long commitMs) {
    }

    /** Where a log entry lives: its row address, checked against its id before it is trusted. */
    record EntryRef(String ctid, long id) {
    }

    /** Pairs of (row address, id), bound as a text[] of ctids and a bigint[] of ids. */
    static final String ADDRESSES =
            "ROWS FROM (pg_catalog.unnest(?::pg_catalog.tid[]), pg_catalog.unnest(?::bigint[]))";

    /** The entries of the current batch (visible in cur, not in prev) after {@code afterId}, of the captured tables. */
    private static final String IN_BATCH = """
            l.xid >= pg_catalog.pg_snapshot_xmin(?::pg_catalog.pg_snapshot)
              AND l.xid < pg_catalog.pg_snapshot_xmax(?::pg_catalog.pg_snapshot)
              AND pg_catalog.pg_visible_in_snapshot(l.xid, ?::pg_catalog.pg_snapshot)
              AND NOT pg_catalog.pg_visible_in_snapshot(l.xid, ?::pg_catalog.pg_snapshot)
              AND l.relid = ANY (?) AND l.id > ?""";

    private final Connection connection;
    private final String log;
    private final Long[] oids;
    private final boolean commitTimestamps;
    private final String sourceName;
    private final String byVisibilitySql;
    private final String byAddressSql;

    private long batch;
    private String prev;
    private String cur;
    private long afterId;
    /** The rest of a large batch, in log id order, once one page came back full: where to find each entry. */
    private List<EntryRef> batchRest = List.of();
    private int batchRestPos;

    ChangeLogCursor(Connection connection, String log, Long[] oids, boolean commitTimestamps, String sourceName) {
        this.connection = connection;
        this.log = log;
        this.oids = oids;
        this.commitTimestamps = commitTimestamps;
        this.sourceName = sourceName;
        String columns = "l.id, l.ctid::text, l.xid::text, l.relid, l.op, l.old_row, l.new_row" + (commitTimestamps
                ? ", (EXTRACT(EPOCH FROM pg_catalog.pg_xact_commit_timestamp(pg_catalog.xid(l.xid))) * 1000)::bigint"
                : "");
        this.byVisibilitySql = "SELECT " + columns + " FROM " + log + " l WHERE " + IN_BATCH + " ORDER BY l.id LIMIT ?";
        this.byAddressSql = "SELECT " + columns + " FROM " + ADDRESSES + " WITH ORDINALITY AS d(t, i, n) JOIN "
                + log + " l ON l.ctid = d.t AND l.id = d.i ORDER BY d.n";
    }

    /** Stands where {@code p} says. */
    void resume(LogPosition p) {
        batch = p.batch();
        prev = p.prev();
        cur = p.cur();
        afterId = p.id();
    }

    /** A fresh start: batch 0 ends at the current snapshot, the next batch holds what commits after it. */
    void startNow() throws SQLException {
        prev = currentSnapshot();
    }

    long batch() {
        return batch;
    }

    String prev() {
        return prev;
    }

    long afterId() {
        return afterId;
    }

    /** True between batches: the last one was read to its end, the next is not begun. */
    boolean betweenBatches() {
        return cur == null;
    }

    /** The position after entry {@code id} of the current batch. */
    LogPosition after(long id) {
        return new LogPosition(false, batch, prev, cur, id);
    }

    /** Begins the next batch at the current snapshot; false when nothing committed since the last one. */
    boolean openBatch() throws SQLException {
        String next = currentSnapshot();
        if (next.equals(prev)) {
            return false;
        }
        openBatch(next);
        return true;
    }

    /** Begins the next batch at snapshot {@code snapshot} (e.g. that of a snapshot chunk). */
    void openBatch(String snapshot) {
        cur = snapshot;
        afterId = 0;
        batchRest = List.of();
        batchRestPos = 0;
    }

    /** The current batch was read to its end: the next one starts after its snapshot. */
    void closeBatch() {
        batch++;
        prev = cur;
        cur = null;
        afterId = 0;
        batchRest = List.of();
        batchRestPos = 0;
    }

    /** True when {@code page}, read with {@code max}, was the last of the batch. */
    boolean exhausted(List<LogEntry> page, int max) {
        return page.size() < max && batchRestPos >= batchRest.size();
    }

    /** The cursor stands after entry {@code id}. */
    void advance(long id) {
        afterId = id;
    }

    /** The server's current snapshot, as text. */
    String currentSnapshot() throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_snapshot()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The next page of the current batch, at most {@code max} entries. */
    List<LogEntry> page(int max) throws SQLException {
        if (batchRestPos < batchRest.size()) {
            List<LogEntry> page = readByAddress(max);
            if (page != null) {
                return page;
            }
        }
        List<LogEntry> page = readByVisibility(max);
        if (page.size() == max) {
            batchRest = fetchBatchRest(page.get(page.size() - 1).id);
            batchRestPos = 0;
        }
        return page;
    }

    /**
     * The entries per xid of the current batch after {@code afterId}, in one scan of the batch's xid
     * range (for whole transactions).
     */
    Map<Long, Long> entriesByXid() throws SQLException {
        String sql = "SELECT l.xid::text, pg_catalog.count(*) FROM " + log + " l WHERE " + IN_BATCH + " GROUP BY l.xid";
        Map<Long, Long> counts = new HashMap<>();
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindInBatch(ps, relids, afterId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(Long.parseUnsignedLong(rs.getString(1)), rs.getLong(2));
                }
            }
        } finally {
            relids.free();
        }
        return counts;
    }

    private int bindInBatch(PreparedStatement ps, Array relids, long after) throws SQLException {
        ps.setString(1, prev);
        ps.setString(2, cur);
        ps.setString(3, cur);
        ps.setString(4, prev);
        ps.setArray(5, relids);
        ps.setLong(6, after);
        return 7;
    }

    private List<LogEntry> readByVisibility(int max) throws SQLException {
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement(byVisibilitySql)) {
            ps.setInt(bindInBatch(ps, relids, afterId), max);
            return entries(ps);
        } finally {
            relids.free();
        }
    }

    private List<EntryRef> fetchBatchRest(long after) throws SQLException {
        String sql = "SELECT l.ctid::text, l.id FROM " + log + " l WHERE " + IN_BATCH + " ORDER BY l.id LIMIT ?";
        List<EntryRef> rest = new ArrayList<>();
        Array relids = connection.createArrayOf("oid", oids);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setInt(bindInBatch(ps, relids, after), BATCH_REST_CHUNK);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rest.add(new EntryRef(rs.getString(1), rs.getLong(2)));
                }
            }
        } finally {
            relids.free();
        }
        LOG.debug("Source '{}' reads a large batch by address: {} more entries", sourceName, rest.size());
        return rest;
    }

    /**
     * The next page from the fetched addresses, or null when an entry is no longer where it was read
     * (the log was rewritten, e.g. by VACUUM FULL): the caller then reads by visibility again.
     */
    private List<LogEntry> readByAddress(int max) throws SQLException {
        int end = Math.min(batchRest.size(), batchRestPos + max);
        List<EntryRef> refs = batchRest.subList(batchRestPos, end);
        List<LogEntry> page;
        try (PreparedStatement ps = connection.prepareStatement(byAddressSql)) {
            try (Addresses a = Addresses.of(connection, refs)) {
                a.bind(ps);
                page = entries(ps);
            }
        }
        if (page.size() < refs.size()) {
            LOG.info("Source '{}': log entries moved while a batch was read (the log was rewritten); reading the rest "
                    + "of the batch by visibility", sourceName);
            batchRest = List.of();
            batchRestPos = 0;
            return null;
        }
        batchRestPos = end;
        if (batchRestPos == batchRest.size() && batchRest.size() == BATCH_REST_CHUNK) {
            batchRest = fetchBatchRest(page.get(page.size() - 1).id);
            batchRestPos = 0;
        }
        return page;
    }

    private List<LogEntry> entries(PreparedStatement ps) throws SQLException {
        List<LogEntry> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Long commitMs = null;
                if (commitTimestamps) {
                    long ms = rs.getLong(8);
                    commitMs = rs.wasNull() ? null : ms;
                }
                out.add(new LogEntry(rs.getLong(1), rs.getString(2), Long.parseUnsignedLong(rs.getString(3)),
                        rs.getLong(4), rs.getString(5).charAt(0), rs.getString(6), rs.getString(7), commitMs));
            }
        }
        return out;
    }

    /** Row addresses and ids as the two array parameters of {@link #ADDRESSES}. */
    record Addresses(Array ctids, Array ids) implements AutoCloseable {

        static Addresses of(Connection connection, List<EntryRef> refs) throws SQLException {
            return new Addresses(connection.createArrayOf("text", refs.stream().map(EntryRef::ctid).toArray()),
                    connection.createArrayOf("bigint", refs.stream().map(EntryRef::id).toArray()));
        }

        void bind(PreparedStatement ps) throws SQLException {
            ps.setArray(1, ctids);
            ps.setArray(2, ids);
        }

        @Override
        public void close() throws SQLException {
            ctids.free();
            ids.free();
        }
    }
}
