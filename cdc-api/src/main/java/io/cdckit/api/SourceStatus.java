package io.cdckit.api;

/**
 * The life-cycle state of a {@link ChangeSource}, with the cause when it failed.
 *
 * @param state    the state
 * @param failure  why the source failed; null unless {@code state} is {@link State#FAILED}
 * @param snapshot where a running snapshot stands, or null when none runs
 */
public record SourceStatus(State state, Throwable failure, SnapshotStatus snapshot) {

    /** A status without snapshot. */
    public SourceStatus(State state, Throwable failure) {
        this(state, failure, null);
    }

    /** This status with {@code snapshot}. */
    public SourceStatus withSnapshot(SnapshotStatus snapshot) {
        return new SourceStatus(state, failure, snapshot);
    }

    /** The states a source passes through. */
    public enum State {
        /** Created, not started. */
        CREATED,
        /** Starting: checking setup, loading the committed position. */
        STARTING,
        /** Capturing and delivering. */
        RUNNING,
        /** The handler failed; the batch is being retried with backoff. */
        RETRYING,
        /** The connection to the database was lost; reconnecting with backoff. */
        RECONNECTING,
        /** Stopped by {@link ChangeSource#close()}. */
        STOPPED,
        /** Stopped by an error; see {@link SourceStatus#failure()}. */
        FAILED
    }

    /** A status without failure. */
    public static SourceStatus of(State state) {
        return new SourceStatus(state, null);
    }

    /** True while the source is alive: running, retrying a batch or reconnecting. */
    public boolean isActive() {
        return state == State.RUNNING || state == State.RETRYING || state == State.RECONNECTING;
    }
}
