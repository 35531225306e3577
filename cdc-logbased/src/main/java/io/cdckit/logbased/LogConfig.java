package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ConfigKey;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** The configuration keys of the log-based strategy and the names derived from them. */
final class LogConfig {

    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    /** Replication slot. */
    static final ConfigKey<String> SLOT = ConfigKey.custom("cdc.log.slot", "lower-case letters, digits and '_', at most 63",
            null, "Replication slot the source reads; created if missing. Default: <cdc.name>_slot (cdckit_slot for "
                    + "the default name), lower-cased with other characters replaced by '_'. Slot names are unique per "
                    + "server: give every source its own.", LogConfig::parseSlot);
    /** Publication. */
    static final ConfigKey<String> PUBLICATION = ConfigKey.custom("cdc.log.publication", "a PostgreSQL identifier",
            null, "Publication of exactly cdc.tables; created, or altered to those tables, at start. Default: "
                    + "<cdc.name>_pub (cdckit_pub for the default name).", LogConfig::parsePublication);
    /** full or default. */
    static final ConfigKey<String> REPLICA_IDENTITY = ConfigKey.choice("cdc.log.replica-identity", "full",
            "full: set REPLICA IDENTITY FULL on the captured tables so updates and deletes carry the complete row "
                    + "before the change and unchanged TOASTed values; default: leave the tables as they are (before "
                    + "then holds only the key columns of updates and deletes).", "full", "default");
    /** Transaction metadata. */
    static final ConfigKey<Boolean> TRANSACTIONS = ConfigKey.bool("cdc.log.transactions", false,
            "true: fill each event's transaction (id, order in the transaction, order among the transaction's "
                    + "events of the same table); batches may still end inside a transaction "
                    + "(cdc.batch.transactions=whole for whole transactions with their event count).");
    /** Heartbeat interval. */
    static final ConfigKey<Duration> HEARTBEAT_INTERVAL = ConfigKey.duration("cdc.log.heartbeat.interval",
            Duration.ofSeconds(10), Duration.ZERO, "How often the source writes a WAL heartbeat message and confirms "
                    + "it, so the slot advances while the captured tables are idle and others are busy; 0 disables it.");
    /** Engine poll interval. */
    static final ConfigKey<Duration> ENGINE_POLL_INTERVAL = ConfigKey.duration("cdc.log.engine.poll-interval",
            Duration.ofMillis(10), Duration.ofMillis(1), "How long Debezium's engine waits to fill a batch before "
                    + "handing it over (its poll.interval.ms); low for low latency.");
    /** WAL the slot may retain before health() is DEGRADED. */
    static final ConfigKey<ByteSize> SLOT_MAX_RETAINED_WAL = ConfigKey.custom("cdc.log.slot.max-retained-wal",
            "a size such as 512MB, 1GB, 100kB or a number of bytes", ByteSize.parse("1GB"), "WAL the replication "
                    + "slot may keep on the server's disk (from its restart_lsn to the server's current LSN) before "
                    + "health() is DEGRADED, naming this key: a source that stopped or falls behind makes the server "
                    + "keep all WAL since. Sizes take kB, MB, GB or TB (1024-based) or plain bytes.", ByteSize::parse);
    /** The engine that reads the slot. */
    static final ConfigKey<String> ENGINE = ConfigKey.choice("cdc.log.engine", "debezium",
            "debezium: Debezium's embedded engine reads the slot; pgoutput: cdckit's native engine reads the "
                    + "pgoutput stream itself through pgjdbc (PostgreSQL 14 or later), faster and with the "
                    + "same events. A source keeps the engine it started with: its committed positions belong "
                    + "to it, and the other one refuses them.", "debezium", "pgoutput");
    /** Pass-through Debezium properties. */
    static final ConfigKey<String> DEBEZIUM = ConfigKey.prefix("cdc.log.debezium.",
            "Raw Debezium connector and engine properties, for experts: cdc.log.debezium.X=V sets Debezium's X=V "
                    + "and overrides what cdckit sets.");

    static final List<ConfigKey<?>> KEYS = List.of(ENGINE, SLOT, PUBLICATION, REPLICA_IDENTITY, TRANSACTIONS,
            HEARTBEAT_INTERVAL, ENGINE_POLL_INTERVAL, SLOT_MAX_RETAINED_WAL, DEBEZIUM);

    private LogConfig() {
    }

    /** The slot of a source: {@code cdc.log.slot}, else derived from {@code cdc.name}. */
    static String slot(CdcConfig config) {
        String explicit = config.get(SLOT);
        return explicit != null ? explicit : derived(config.name(), "_slot");
    }

    /** The publication of a source: {@code cdc.log.publication}, else derived from {@code cdc.name}. */
    static String publication(CdcConfig config) {
        String explicit = config.get(PUBLICATION);
        return explicit != null ? explicit : derived(config.name(), "_pub");
    }

    private static String derived(String name, String suffix) {
        String base = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        int max = 63 - suffix.length();
        return (base.length() > max ? base.substring(0, max) : base) + suffix;
    }

    private static String parseSlot(String s) {
        String v = s.strip();
        if (!SLOT_NAME.matcher(v).matches()) {
            throw new IllegalArgumentException("1 to 63 lower-case letters, digits or '_' (PostgreSQL's rule for "
                    + "replication slot names)");
        }
        return v;
    }

    private static String parsePublication(String s) {
        String v = s.strip();
        if (v.isEmpty() || v.length() > 63 || v.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a name of 1 to 63 characters");
        }
        return v;
    }
}
