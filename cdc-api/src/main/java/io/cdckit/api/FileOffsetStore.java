package io.cdckit.api;

import java.nio.file.Path;
import java.util.Optional;

/** Placeholder until the file store lands: see OffsetStores#file. */
final class FileOffsetStore implements OffsetStore {

    FileOffsetStore(Path path) {
        throw new UnsupportedOperationException("file offset store not implemented yet");
    }

    @Override
    public Optional<Position> load(String sourceName) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void save(String sourceName, Position position) {
        throw new UnsupportedOperationException();
    }
}
