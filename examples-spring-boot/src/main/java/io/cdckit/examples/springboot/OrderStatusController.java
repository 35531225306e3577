package io.cdckit.examples.springboot;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/** Serves the counts {@link OrderStatusCounts} keeps. */
@RestController
public final class OrderStatusController {

    private final OrderStatusCounts counts;

    /**
     * Serves {@code counts}.
     *
     * @param counts the application's change handler
     */
    public OrderStatusController(OrderStatusCounts counts) {
        this.counts = counts;
    }

    /** {@code GET /orders/status-counts}: e.g. {@code {"new": 3, "paid": 1}}. */
    @GetMapping("/orders/status-counts")
    public Map<String, Long> statusCounts() {
        return counts.counts();
    }
}
