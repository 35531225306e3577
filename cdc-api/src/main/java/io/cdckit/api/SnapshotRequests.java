package io.cdckit.api;

import io.cdckit.api.spi.ChangeReader;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * On-demand snapshots on their way to the reader: asked for from any thread, handed to the reader
 * on its thread before a poll, and kept until a position written after that was committed, so a
 * reader opened again after a lost connection gets them again instead of losing them.
 */
final class SnapshotRequests {

    /** One request, what to do once it is safe in a committed position, and what to do when the reader refuses it. */
    record Request(List<TableId> tables, Runnable onCommitted, Consumer<String> onRefused) {
    }

    private final String source;
    private volatile List<TableId> captured;
    private final Queue<Request> incoming = new ConcurrentLinkedQueue<>();
    private final List<Request> unconfirmed = new ArrayList<>();

    SnapshotRequests(String source, List<TableId> captured) {
        this.source = source;
        this.captured = List.copyOf(captured);
    }

    /** The tables captured now (they change with cdc.tables.include). */
    void captured(List<TableId> tables) {
        this.captured = List.copyOf(tables);
    }

    /**
     * Queues a snapshot of {@code tables}; {@code onCommitted} runs once it is part of a committed
     * position, {@code onRefused} with the reason when the strategy refuses it.
     *
     * @throws IllegalArgumentException when no table is named, or one is not captured by the source
     */
    void add(List<TableId> tables, Runnable onCommitted, Consumer<String> onRefused) {
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("name at least one table to snapshot");
        }
        for (TableId t : tables) {
            if (!captured.contains(t)) {
                throw new IllegalArgumentException("Table " + t + " is not captured by source '" + source
                        + "': snapshots are of tables in cdc.tables (" + captured + ").");
            }
        }
        incoming.add(new Request(List.copyOf(tables), onCommitted, onRefused));
    }

    /** Hands new requests to {@code reader}; on the reader's thread. */
    void handTo(ChangeReader reader) throws Exception {
        Request r;
        while ((r = incoming.poll()) != null) {
            try {
                reader.snapshot(r.tables());
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                r.onRefused().accept(e.getMessage());
                continue;
            }
            unconfirmed.add(r);
        }
    }

    /** A position polled after the requests handed over so far was committed. */
    void committed() {
        for (Request r : unconfirmed) {
            r.onCommitted().run();
        }
        unconfirmed.clear();
    }

    /** A new reader was opened after the last committed position: it needs the unconfirmed requests again. */
    void reopened(ChangeReader reader) throws Exception {
        for (Request r : unconfirmed) {
            reader.snapshot(r.tables());
        }
    }
}
