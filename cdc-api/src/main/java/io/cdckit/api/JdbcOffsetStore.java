package io.cdckit.api;

import java.util.Optional;

/** Placeholder until the jdbc store lands: see OffsetStores#jdbc. */
final class JdbcOffsetStore implements OffsetStore {

    JdbcOffsetStore(String url, String user, String password, String schema, String table) {
        throw new UnsupportedOperationException("jdbc offset store not implemented yet");
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
