package io.cdckit.connect;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.Position;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One strategy reader a task drives, with its source partition ({@code {"source": <cdc.name>}})
 * and the last position Kafka acknowledged. Opens the reader lazily after that position, and
 * again after a failure, with the backoff of {@code cdc.reconnect.*}: a lost connection or a
 * restarted server is waited out ({@code cdc.reconnect.max-attempts}); a setup error is retried
 * a few times only (a predecessor task on another worker may still hold the source's lock) and
 * then fails the task with cdckit's message.
 */
final class CapturedStream implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CapturedStream.class);
    /** Attempts for a setup error: long enough for a stopping predecessor to release its lock. */
    private static final int SETUP_ATTEMPTS = 5;

    private final CdcConfig config;
    private final ChangeSourceProvider provider;
    private final SourceConnections connections;
    private final OffsetStore store;
    private final Map<String, String> partition;
    private ChangeReader reader;
    private Position committed;
    private boolean loaded;
    private int failedOpens;
    private long nextOpenAt;

    CapturedStream(CdcConfig config, ChangeSourceProvider provider, SourceConnections connections, OffsetStore store) {
        this.config = config;
        this.provider = provider;
        this.connections = connections;
        this.store = store;
        this.partition = partition(config.name());
    }

    /** The source partition of a stream: the name of its source. */
    static Map<String, String> partition(String sourceName) {
        return Map.of("source", sourceName);
    }

    Map<String, String> partition() {
        return partition;
    }

    String name() {
        return config.name();
    }

    boolean isOpen() {
        return reader != null;
    }

    /**
     * Opens the reader after the last acknowledged position unless it is open or waiting for its
     * next attempt; true when it is open. A fresh reader's start position is saved to the store.
     *
     * @throws ConnectException when the attempts are used up
     */
    boolean ensureOpen() {
        if (reader != null) {
            return true;
        }
        if (System.nanoTime() < nextOpenAt) {
            return false;
        }
        ChangeReader r = null;
        try {
            if (!loaded) {
                committed = store.load(config.name()).orElse(null);
                loaded = true;
                LOG.info("Stream '{}' (cdc.mode={}, tables={}) starts {}", config.name(), config.mode(),
                        config.tables(), committed == null ? "afresh" : "after offset " + committed.fields());
            }
            r = provider.createReader(config, connections);
            r.open(committed);
            if (committed == null && r.startPosition() != null) {
                committed = r.startPosition();
                store.save(config.name(), committed);
            }
            reader = r;
            if (failedOpens > 0) {
                LOG.info("Stream '{}' reopened after {} failed attempts", config.name(), failedOpens);
            }
            failedOpens = 0;
            return true;
        } catch (Exception e) {
            closeQuietly(r);
            failedOpens++;
            boolean waitable = SourceConnections.isConnectionFailure(e) || !(e instanceof CdcException);
            int limit = waitable ? config.get(CdcConfig.RECONNECT_MAX_ATTEMPTS) : SETUP_ATTEMPTS;
            if (failedOpens >= limit) {
                throw new ConnectException("Stream '" + config.name() + "' could not open its reader after "
                        + failedOpens + " attempts; Connect keeps its last offset, so a restarted task resumes "
                        + "after it. Last error: " + e.getMessage(), e);
            }
            Duration delay = waitable ? backoff(failedOpens - 1) : Duration.ofSeconds(failedOpens);
            nextOpenAt = System.nanoTime() + delay.toNanos();
            LOG.warn("Stream '{}' could not open its reader (attempt {} of {}), next attempt in {} ms: {}",
                    config.name(), failedOpens, limit, delay.toMillis(), e.getMessage());
            return false;
        }
    }

    /** The reader's next changes; see {@link ChangeReader#poll}. */
    List<ChangeEvent> poll(int maxEvents, Duration timeout) throws Exception {
        return reader.poll(maxEvents, timeout);
    }

    /** Every event up to {@code position} is in Kafka: the reader may release them. */
    void acknowledged(Position position, boolean polled) throws Exception {
        committed = position;
        if (polled && reader != null) {
            reader.committed(position);
        }
    }

    /** Reading or releasing failed: closes the reader; the next {@link #ensureOpen} reopens it after the last acknowledged position. */
    void failed(Exception cause) {
        LOG.warn("Stream '{}' lost its connection or failed to read ({}); reopening after offset {}", config.name(),
                cause.toString(), committed == null ? "start" : committed.fields());
        closeQuietly(reader);
        reader = null;
        nextOpenAt = System.nanoTime() + config.get(CdcConfig.RECONNECT_INITIAL_DELAY).toNanos();
    }

    private Duration backoff(int attempt) {
        long initial = Math.max(1, config.get(CdcConfig.RECONNECT_INITIAL_DELAY).toMillis());
        long max = config.get(CdcConfig.RECONNECT_MAX_DELAY).toMillis();
        long d = initial << Math.min(attempt, 20);
        return Duration.ofMillis(Math.min(d, max));
    }

    private void closeQuietly(ChangeReader r) {
        if (r == null) {
            return;
        }
        try {
            r.close();
        } catch (Exception e) {
            LOG.warn("Closing the reader of stream '{}' failed", config.name(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(reader);
        reader = null;
    }
}
