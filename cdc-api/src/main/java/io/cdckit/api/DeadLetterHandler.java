package io.cdckit.api;

import java.util.List;

/**
 * Receives a batch that the {@link ChangeHandler} kept failing on, when
 * {@code cdc.errors.tolerance=all}. After it returns the source commits past the batch and goes on.
 */
@FunctionalInterface
public interface DeadLetterHandler {

    /**
     * Takes a batch the handler could not process.
     *
     * @param events the batch, in commit order
     * @param cause  the handler's last failure
     * @throws Exception if the batch could not be parked either; the source then stops as FAILED
     */
    void handle(List<ChangeEvent> events, Exception cause) throws Exception;
}
