package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The trigger-based strategy, {@code cdc.mode=trigger}: installed {@code audit_changes} triggers
 * write every row change of the captured tables into a change log, and the reader takes the log
 * in batches of "committed since the previous batch", so a transaction that commits late is
 * never skipped. See {@link TriggerInstallation} for the SQL it installs.
 */
public final class TriggerChangeSourceProvider implements ChangeSourceProvider {

    /** The mode name. */
    public static final String MODE = "trigger";

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

    /** Schema holding the change log, the install record and the trigger functions. */
    public static final ConfigKey<String> SCHEMA = ConfigKey.custom("cdc.trigger.schema",
            "lower-case SQL name of at most 40 characters", "cdckit",
            "Schema of the change log and the audit_changes trigger functions; created by the install. It also "
                    + "names the triggers and the LISTEN channel, so two schemas give two independent logs.",
            TriggerChangeSourceProvider::parseSchema);
    /** {@code statement} or {@code row}. */
    public static final ConfigKey<String> FLAVOUR = ConfigKey.choice("cdc.trigger.flavour", "statement",
            "statement: one statement-level trigger per operation writes all rows of a statement with one "
                    + "INSERT ... SELECT from its transition tables (cheapest for multi-row statements); row: one "
                    + "row-level trigger writes one log row per changed row (the classic audit trigger).",
            "statement", "row");
    /** Whether the source installs (and upgrades) the log and triggers itself. */
    public static final ConfigKey<Boolean> INSTALL = ConfigKey.bool("cdc.trigger.install", true,
            "true: on start, install or upgrade the change log and the triggers of cdc.tables (idempotent); "
                    + "false: expect a DBA to have run the SQL of TriggerInstallation.installScript(config), and "
                    + "fail naming it when something is missing.");
    /** How long consumed log entries are kept. */
    public static final ConfigKey<Duration> RETENTION = ConfigKey.duration("cdc.trigger.retention", Duration.ZERO,
            Duration.ZERO, "0: delete log entries as soon as the batch holding them is committed; a duration: keep "
                    + "consumed entries that long for audit, then delete them.");
    /** Whether the triggers send a NOTIFY per statement. */
    public static final ConfigKey<Boolean> NOTIFY = ConfigKey.bool("cdc.trigger.notify", true,
            "true: a statement's trigger sends a NOTIFY when the table's reader is waiting, so it wakes at once "
                    + "(cdc.poll.interval is only the fallback); false: no NOTIFY, the reader polls every "
                    + "cdc.poll.interval. Applies to the whole schema: the last install sets it.");

    /** Age of the oldest undelivered entry above which health is DEGRADED. */
    public static final ConfigKey<Duration> MAX_ENTRY_AGE = ConfigKey.duration("cdc.trigger.max-entry-age",
            Duration.ofMinutes(15), Duration.ofMillis(1), "Age of the oldest committed change-log entry not yet "
                    + "delivered above which health() is DEGRADED: the log grows while the source lags.");

    /** The keys of this strategy. */
    public static final List<ConfigKey<?>> KEYS = List.of(SCHEMA, FLAVOUR, INSTALL, RETENTION, NOTIFY, MAX_ENTRY_AGE);

    /** Used by {@link java.util.ServiceLoader}. */
    public TriggerChangeSourceProvider() {
    }

    @Override
    public String mode() {
        return MODE;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return KEYS;
    }

    @Override
    public ChangeReader createReader(CdcConfig config, SourceConnections connections) {
        connections.requireUrl("cdc.mode=trigger");
        TriggerSettings settings = TriggerSettings.of(config);
        return new TriggerChangeReader(config, settings, connections,
                new ChangeLogBacklog(connections, settings, config.get(MAX_ENTRY_AGE)));
    }

    private static String parseSchema(String raw) {
        String s = raw.strip();
        if (!SCHEMA_NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("a lower-case SQL name of 1 to 40 letters, digits or '_', "
                    + "not starting with a digit, e.g. cdckit");
        }
        return s;
    }
}
