package io.cdckit.examples.springboot;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The application's {@link ChangeHandler}: the cdckit starter delivers the changes of {@code public.orders}
 * here, and it keeps each order's last status, so that it can tell how many orders are in each status.
 *
 * <p>Applying an event sets the order's status from the row after the change (created, read by the initial
 * snapshot, updated), or forgets the order (deleted, truncated): the same event applied twice leaves the same
 * state, so a batch delivered again after a crash (at-least-once) does no harm, and no {@code before} image is
 * needed, so it works with every strategy. It keeps one entry per order, which suits an example; a real
 * application would keep the counts in its own database, in the handler's transaction.
 */
@Component
public final class OrderStatusCounts implements ChangeHandler {

    /** The table whose changes this handler counts. */
    public static final TableId ORDERS = new TableId("public", "orders");

    private static final Logger LOG = LoggerFactory.getLogger(OrderStatusCounts.class);

    private final Map<Object, String> statusByOrder = new HashMap<>();

    @Override
    public synchronized void handle(List<ChangeEvent> events) {
        for (ChangeEvent e : events) {
            if (!e.table().equals(ORDERS)) {
                continue;
            }
            Object id = e.key().get("id");
            switch (e.op()) {
                case CREATE, READ, UPDATE -> statusByOrder.put(id, String.valueOf(e.after().get("status")));
                case DELETE -> statusByOrder.remove(id);
                case TRUNCATE -> statusByOrder.clear();
            }
            LOG.debug("order {}: {} -> {}", id, e.op(), statusByOrder.get(id));
        }
    }

    /** How many orders are in each status, by status. */
    public synchronized Map<String, Long> counts() {
        Map<String, Long> counts = new TreeMap<>();
        statusByOrder.values().forEach(status -> counts.merge(status, 1L, Long::sum));
        return counts;
    }
}
