package io.cdckit.api;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Positions in a map; lost with the JVM. */
final class MemoryOffsetStore implements OffsetStore {

    private final ConcurrentMap<String, Position> positions = new ConcurrentHashMap<>();

    @Override
    public Optional<Position> load(String sourceName) {
        return Optional.ofNullable(positions.get(sourceName));
    }

    @Override
    public void save(String sourceName, Position position) {
        positions.put(sourceName, position);
    }

    @Override
    public String toString() {
        return "memory";
    }
}
