package io.cdckit.micrometer;

import java.util.Map;

/** The strategies whose sources the meters are tested on, with the settings each runs with. */
enum Strategy {

    /** pgoutput through Debezium. */
    LOG(Map.of("cdc.mode", "log")),
    /** Row-level triggers and the change log. */
    TRIGGER(Map.of("cdc.mode", "trigger", "cdc.trigger.install", "true", "cdc.trigger.flavour", "row")),
    /** Timestamp polling; hard deletes through key reconciliation on every poll. */
    TIMESTAMP(Map.of("cdc.mode", "timestamp", "cdc.timestamp.reconcile.every-polls", "1"));

    final Map<String, String> properties;

    Strategy(Map<String, String> properties) {
        this.properties = properties;
    }

    /** {@code cdc.mode}, also the {@code mode} tag. */
    String mode() {
        return properties.get("cdc.mode");
    }
}
