package io.cdckit.faults;

import java.util.Map;

/** The strategies the fault suite drives, with the settings each runs with. */
enum Strategy {

    /** pgoutput through Debezium, REPLICA IDENTITY FULL. */
    LOG(true, Map.of("cdc.mode", "log")),
    /** pgoutput read by cdckit's native engine, REPLICA IDENTITY FULL. */
    LOG_PGOUTPUT(true, Map.of("cdc.mode", "log", "cdc.log.engine", "pgoutput")),
    /** Row-level triggers and the change log. */
    TRIGGER_ROW(true, Map.of("cdc.mode", "trigger", "cdc.trigger.install", "true", "cdc.trigger.flavour", "row")),
    /** Statement-level triggers with transition tables and the change log. */
    TRIGGER_STATEMENT(true, Map.of("cdc.mode", "trigger", "cdc.trigger.install", "true",
            "cdc.trigger.flavour", "statement")),
    /** Timestamp polling; hard deletes through key reconciliation on every poll. */
    TIMESTAMP(false, Map.of("cdc.mode", "timestamp", "cdc.timestamp.reconcile.every-polls", "1"));

    /** True when every committed change arrives (no collapsing of updates between polls). */
    final boolean seesEveryChange;
    final Map<String, String> properties;

    Strategy(boolean seesEveryChange, Map<String, String> properties) {
        this.seesEveryChange = seesEveryChange;
        this.properties = properties;
    }

    /** True for the log strategy, whichever engine reads the slot. */
    boolean log() {
        return this == LOG || this == LOG_PGOUTPUT;
    }

    /** True for the trigger strategy's flavours. */
    boolean trigger() {
        return this == TRIGGER_ROW || this == TRIGGER_STATEMENT;
    }

    /** A source name, and so a slot or consumer name, unique to this strategy and {@code scope}. */
    String sourceName(String scope) {
        return (scope + "_" + name()).toLowerCase();
    }
}
