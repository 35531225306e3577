package io.cdckit.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The strategies the benchmarks compare, by their {@code @Param} names: {@code none} (no capture,
 * the baseline), cdckit's {@code log} (Debezium's engine inside), {@code log-pgoutput} (its native
 * engine), {@code trigger-row}, {@code trigger-statement} and
 * {@code timestamp}, and {@code debezium-raw} (Debezium's embedded engine without cdckit).
 * {@code trigger-row-nonotify} and {@code trigger-statement-nonotify} are the trigger flavours with
 * {@code cdc.trigger.notify=false} (no NOTIFY; the reader polls), to measure what the NOTIFY costs writers.
 * {@code trigger-row-unread} and {@code trigger-statement-unread} are the flavours installed, with the
 * table's reading lock held as a busy reader holds it, and no reader: the triggers do all their work
 * (and send no NOTIFY), but nothing is read, so writers keep the cores to themselves; that is what
 * the triggers alone cost. {@code trigger-classic} is the tutorial's trigger (a plpgsql
 * {@code audit_changes()} writing {@code to_jsonb(OLD)}/{@code to_jsonb(NEW)} into an indexed log),
 * installed without a reader, as the reference those are measured against. {@code trigger-noop} and
 * {@code trigger-floor} are lower bounds, also without a reader: triggers that fire and do nothing,
 * and bare triggers that only write the row images into a log (see {@link BareTriggers}).
 */
enum Strategy {
    NONE("none"),
    LOG("log"),
    LOG_PGOUTPUT("log-pgoutput"),
    TRIGGER_ROW("trigger-row"),
    TRIGGER_STATEMENT("trigger-statement"),
    TRIGGER_ROW_NONOTIFY("trigger-row-nonotify"),
    TRIGGER_STATEMENT_NONOTIFY("trigger-statement-nonotify"),
    TRIGGER_ROW_UNREAD("trigger-row-unread"),
    TRIGGER_STATEMENT_UNREAD("trigger-statement-unread"),
    TRIGGER_CLASSIC("trigger-classic"),
    TRIGGER_NOOP("trigger-noop"),
    TRIGGER_FLOOR("trigger-floor"),
    TIMESTAMP("timestamp"),
    DEBEZIUM_RAW("debezium-raw");

    private final String paramName;

    Strategy(String paramName) {
        this.paramName = paramName;
    }

    String paramName() {
        return paramName;
    }

    static Strategy of(String paramName) {
        for (Strategy s : values()) {
            if (s.paramName.equals(paramName)) {
                return s;
            }
        }
        throw new IllegalArgumentException("Unknown strategy '" + paramName
                + "': use none, log, log-pgoutput, trigger-row, trigger-statement, "
                + "trigger-row-nonotify, trigger-statement-nonotify, trigger-row-unread, trigger-statement-unread, "
                + "trigger-classic, trigger-noop, trigger-floor, timestamp or debezium-raw");
    }

    /** Whether events carry the commit time ({@code source.tsMs}), so latency is measured from it. */
    boolean knowsCommitTime() {
        return this == LOG || this == LOG_PGOUTPUT || this == DEBEZIUM_RAW;
    }

    /** The cdckit configuration of this strategy for {@code table}, without the connection keys. */
    Map<String, String> cdcProperties(String name, String table) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("cdc.name", name);
        p.put("cdc.tables", table);
        p.put("cdc.snapshot.mode", "never");
        p.put("cdc.offset.store", "memory");
        switch (this) {
            case LOG -> p.put("cdc.mode", "log");
            case LOG_PGOUTPUT -> {
                p.put("cdc.mode", "log");
                p.put("cdc.log.engine", "pgoutput");
            }
            case TRIGGER_ROW, TRIGGER_ROW_UNREAD -> {
                p.put("cdc.mode", "trigger");
                p.put("cdc.trigger.flavour", "row");
            }
            case TRIGGER_STATEMENT, TRIGGER_STATEMENT_UNREAD -> {
                p.put("cdc.mode", "trigger");
                p.put("cdc.trigger.flavour", "statement");
            }
            case TRIGGER_ROW_NONOTIFY -> {
                p.put("cdc.mode", "trigger");
                p.put("cdc.trigger.flavour", "row");
                p.put("cdc.trigger.notify", "false");
            }
            case TRIGGER_STATEMENT_NONOTIFY -> {
                p.put("cdc.mode", "trigger");
                p.put("cdc.trigger.flavour", "statement");
                p.put("cdc.trigger.notify", "false");
            }
            case TIMESTAMP -> p.put("cdc.mode", "timestamp");
            default -> throw new IllegalStateException(this + " is not a cdckit strategy");
        }
        return p;
    }
}
