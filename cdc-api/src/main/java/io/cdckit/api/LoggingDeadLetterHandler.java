package io.cdckit.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/** The default dead-letter handler: logs each skipped event's table, op, key and position. */
final class LoggingDeadLetterHandler implements DeadLetterHandler {

    private static final Logger LOG = LoggerFactory.getLogger(LoggingDeadLetterHandler.class);

    @Override
    public void handle(List<ChangeEvent> events, Exception cause) {
        LOG.error("Skipping a batch of {} events the handler kept failing on (cdc.errors.tolerance=all)",
                events.size(), cause);
        for (ChangeEvent e : events) {
            LOG.error("Skipped: table={} op={} key={} position={}", e.table(), e.op().code(), e.key(),
                    e.position().fields());
        }
    }
}
