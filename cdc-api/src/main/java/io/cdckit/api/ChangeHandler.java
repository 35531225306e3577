package io.cdckit.api;

import java.util.List;

/**
 * The application's code that receives changes, one batch at a time.
 *
 * <p>A batch holds events in commit order. When {@code handle} returns, the batch counts as
 * processed and its last position is committed; when it throws, the same batch is offered again
 * (with backoff) and nothing after it is delivered first. Delivery is at-least-once: after a
 * crash the batch that was in flight may be delivered again, so handlers should be idempotent.
 */
@FunctionalInterface
public interface ChangeHandler {

    /**
     * Processes a non-empty batch of changes.
     *
     * @param events the batch, unmodifiable, in commit order
     * @throws Exception to have the batch retried
     */
    void handle(List<ChangeEvent> events) throws Exception;
}
