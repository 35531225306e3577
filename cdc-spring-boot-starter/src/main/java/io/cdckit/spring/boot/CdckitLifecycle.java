package io.cdckit.spring.boot;

import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.util.Objects;

/**
 * Runs a {@link ChangeSource} with the life of the application context: {@link #start()} (once the context
 * is refreshed, as the last phase) starts it with the application's {@link ChangeHandler}, and returns once
 * it is set up, so a setup error (connection, privileges, tables) fails the application's startup with
 * cdckit's message; {@link #stop()} (first, when the context closes) closes it: the batch in flight
 * finishes, its position is committed and the source's connections are closed.
 *
 * <p>A source is started once and closed once. It is not {@linkplain #isPauseable() pauseable}: a test
 * context that the Spring TestContext cache pauses keeps its source running until the context is closed
 * (use {@code @DirtiesContext} to close it after a test class). Starting a context again after
 * {@code stop()} fails, as a closed source cannot start again.
 */
public final class CdckitLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(CdckitLifecycle.class);

    private final ChangeSource source;
    private final ChangeHandler handler;
    private volatile boolean running;
    private volatile boolean stopped;

    /**
     * Runs {@code source} with {@code handler}.
     *
     * @param source  the source, not started yet
     * @param handler the application's handler
     */
    public CdckitLifecycle(ChangeSource source, ChangeHandler handler) {
        this.source = Objects.requireNonNull(source, "source");
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    /**
     * Starts the source.
     *
     * @throws io.cdckit.api.CdcException when the source cannot start; the message names the fix
     */
    @Override
    public void start() {
        if (stopped) {
            throw new IllegalStateException("cdckit source '" + source.config().name() + "' was closed when the "
                    + "context stopped and cannot start again; close the context and create a new one instead");
        }
        source.start(handler);
        running = true;
        LOG.info("cdckit source '{}' (cdc.mode={}) delivers to {}", source.config().name(), source.config().mode(),
                handler.getClass().getName());
    }

    /** Closes the source: waits for the batch in flight, commits it, closes the connections. */
    @Override
    public void stop() {
        running = false;
        stopped = true;
        source.close();
        LOG.info("cdckit source '{}' closed", source.config().name());
    }

    /** True from {@link #start()} until {@link #stop()}; also while the source reconnects or has failed. */
    @Override
    public boolean isRunning() {
        return running;
    }

    /** False: pausing a context must not close its source, which could not start again. */
    @Override
    public boolean isPauseable() {
        return false;
    }

    /** {@link #DEFAULT_PHASE}: starts after every other phase, the web server's included, and stops first. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE;
    }

    /** The source this lifecycle runs. */
    public ChangeSource source() {
        return source;
    }
}
