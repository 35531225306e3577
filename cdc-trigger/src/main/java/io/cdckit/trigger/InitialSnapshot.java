package io.cdckit.trigger;

import io.cdckit.api.CdckitVersion;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.Position;
import io.cdckit.api.SourceInfo;
import io.cdckit.api.jdbc.ColumnDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code cdc.snapshot.mode=initial}: the rows of the captured tables as op r, read in one
 * REPEATABLE READ transaction whose snapshot is also where the log reading starts. Every
 * transaction visible in that snapshot is in the rows read; every other one is in the log batches
 * after it (the triggers were installed, and committed, before the snapshot was taken). So no
 * change is lost or doubled at the seam. Rows are streamed with a cursor, never held all at once.
 */
final class InitialSnapshot implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InitialSnapshot.class);
    private static final int FETCH_SIZE = 1000;
    private static final long PROGRESS_EVERY = 50_000;

    private final Connection connection;
    private final List<CapturedTable> tables;
    private final String sourceName;
    private final String database;
    private final String snapshot;
    private int tableIndex = -1;
    private Statement statement;
    private ResultSet rows;
    private long tableRows;
    private long totalRows;
    private long tableStarted;
    private Pending next;

    private record Pending(CapturedTable table, Map<String, Object> row) {
    }

    /** Opens the transaction and takes the snapshot; {@link #snapshot()} is where the log starts. */
    InitialSnapshot(Connection connection, List<CapturedTable> tables, String sourceName) throws SQLException {
        this.connection = connection;
        this.tables = tables;
        this.sourceName = sourceName;
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_snapshot()::text, "
                    + "pg_catalog.current_database()")) {
                rs.next();
                snapshot = rs.getString(1);
                database = rs.getString(2);
            }
        }
        LOG.info("Source '{}' takes an initial snapshot of {} tables at snapshot {}", sourceName, tables.size(),
                snapshot);
        next = advance();
    }

    /** The snapshot the rows are read in. */
    String snapshot() {
        return snapshot;
    }

    /** True when every row was returned. */
    boolean done() {
        return next == null;
    }

    /**
     * Up to {@code max} more rows as op r events. The last row of the snapshot is marked
     * {@code last} and carries the log position after the snapshot; the others carry a position
     * that makes a restart take the snapshot again.
     */
    List<ChangeEvent> next(int max) throws SQLException {
        List<ChangeEvent> out = new ArrayList<>();
        while (out.size() < max && next != null) {
            Pending current = next;
            next = advance();
            boolean last = next == null;
            Position position = last ? LogPosition.after(0, snapshot).toPosition() : LogPosition.SNAPSHOT.toPosition();
            SourceInfo source = new SourceInfo(CdckitVersion.get(), TriggerChangeSourceProvider.MODE, sourceName, null,
                    last ? SourceInfo.SNAPSHOT_LAST : SourceInfo.SNAPSHOT_TRUE, database, current.table.id.schema(),
                    current.table.id.table(), null, null, null, null);
            out.add(new ChangeEvent(Op.READ, null, current.row, current.table.schema.keyOf(current.row), source,
                    System.currentTimeMillis(), null, position));
        }
        return out;
    }

    private Pending advance() throws SQLException {
        while (true) {
            if (rows != null && rows.next()) {
                tableRows++;
                totalRows++;
                if (totalRows % PROGRESS_EVERY == 0) {
                    LOG.info("Source '{}' snapshot: {} rows so far, {} of {} ({} of {} tables)", sourceName,
                            totalRows, tableRows, tables.get(tableIndex).id, tableIndex + 1, tables.size());
                }
                return new Pending(tables.get(tableIndex), ColumnDecoder.row(rows));
            }
            if (rows != null) {
                LOG.info("Source '{}' snapshot of {} done: {} rows in {} ms", sourceName, tables.get(tableIndex).id,
                        tableRows, (System.nanoTime() - tableStarted) / 1_000_000);
                rows.close();
                statement.close();
                rows = null;
            }
            if (++tableIndex >= tables.size()) {
                connection.commit();
                LOG.info("Source '{}' finished its initial snapshot: {} rows", sourceName, totalRows);
                return null;
            }
            CapturedTable t = tables.get(tableIndex);
            tableRows = 0;
            tableStarted = System.nanoTime();
            statement = connection.createStatement();
            statement.setFetchSize(FETCH_SIZE);
            rows = statement.executeQuery("SELECT " + t.schema.quotedColumnList() + " FROM " + t.id.quoted());
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
