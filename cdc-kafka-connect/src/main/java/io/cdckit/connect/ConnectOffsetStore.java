package io.cdckit.connect;

import io.cdckit.api.OffsetStore;
import io.cdckit.api.Position;
import org.apache.kafka.connect.storage.OffsetStorageReader;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;

/**
 * The {@link OffsetStore} of a connector task: positions are Connect source offsets, one
 * source partition per captured stream ({@link CapturedStream#partition}), stored by the
 * worker in its offset topic (in the same transaction as the records with exactly-once
 * support).
 *
 * <p>{@link #load} reads them through the task's {@link OffsetStorageReader}. Connect writes
 * the offset of every record the task returns once Kafka acknowledged it, so the positions of
 * events need no saving; {@link #save} is for a position no event carries, the one a fresh
 * reader started at: the task sends it as a heartbeat record, whose offset Connect then
 * stores like any other.
 */
final class ConnectOffsetStore implements OffsetStore {

    /** A position to store for a stream. */
    record Pending(String sourceName, Position position) {
    }

    private final OffsetStorageReader offsets;
    private final Queue<Pending> pending = new ArrayDeque<>();

    ConnectOffsetStore(OffsetStorageReader offsets) {
        this.offsets = offsets;
    }

    @Override
    public Optional<Position> load(String sourceName) {
        Map<String, Object> offset = offsets.offset(CapturedStream.partition(sourceName));
        return offset == null || offset.isEmpty() ? Optional.empty() : Optional.of(new Position(offset));
    }

    @Override
    public synchronized void save(String sourceName, Position position) {
        pending.add(new Pending(sourceName, position));
    }

    /** The next position saved and not yet sent, or null. */
    synchronized Pending nextPending() {
        return pending.poll();
    }
}
