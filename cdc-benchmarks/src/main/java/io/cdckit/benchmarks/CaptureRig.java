package io.cdckit.benchmarks;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the capture benchmarks set up per trial and tear down after it: an orders table, a
 * writer connection and a capture of the table running into a sink.
 */
final class CaptureRig implements AutoCloseable {

    final Orders orders;
    final Connection writer;
    final Capture capture;

    private CaptureRig(Orders orders, Connection writer, Capture capture) {
        this.orders = orders;
        this.writer = writer;
        this.capture = capture;
    }

    /** Creates the table, opens the writer and starts capturing with {@code strategy}. */
    static CaptureRig start(Strategy strategy, EventSink sink) throws SQLException {
        Orders orders = Orders.create(strategy);
        Connection writer = null;
        try {
            writer = orders.connect();
            return new CaptureRig(orders, writer, Capture.start(strategy, orders, sink));
        } catch (SQLException | RuntimeException e) {
            if (writer != null) {
                writer.close();
            }
            orders.close();
            throw e;
        }
    }

    /** Closes the writer and the capture, then drops the table's database. */
    @Override
    public void close() throws SQLException {
        try {
            writer.close();
            capture.close();
        } finally {
            orders.close();
        }
    }
}
