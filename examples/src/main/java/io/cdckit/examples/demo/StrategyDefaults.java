package io.cdckit.examples.demo;

import java.util.Map;

/** The strategy settings the demo adds, so each strategy shows what it can see. */
final class StrategyDefaults {

    private StrategyDefaults() {
    }

    static Map<String, String> forMode(String mode) {
        return switch (mode) {
            // look for hard deletes often, so the demo shows them within seconds
            case "timestamp" -> Map.of("cdc.timestamp.reconcile.every-polls", "2");
            default -> Map.of();
        };
    }
}
