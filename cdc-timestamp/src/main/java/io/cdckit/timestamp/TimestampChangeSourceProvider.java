package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;
import io.cdckit.api.spi.WholeTransactions;

import java.time.Duration;
import java.util.List;

/**
 * The timestamp polling strategy, {@code cdc.mode=timestamp}: polls each captured table for rows
 * whose {@link #COLUMN timestamp column} lies below a watermark that never passes the start of a
 * transaction still in flight, pages with keyset pagination on (timestamp, primary key), reports
 * soft deletes through {@link #DELETED_COLUMN} and hard deletes through key reconciliation
 * ({@link #RECONCILE_EVERY_POLLS}), and snapshots tables in primary-key chunks while it streams
 * (at the first start, for tables added later, and on demand). See {@code docs/timestamp.md}.
 */
public final class TimestampChangeSourceProvider implements ChangeSourceProvider {

    /** The mode name, {@code timestamp}. */
    public static final String MODE = "timestamp";

    /** Column that every write sets to the server's time. */
    public static final ConfigKey<String> COLUMN = ConfigKey.custom("cdc.timestamp.column", "column name",
            "updated_at", "Column of type timestamptz or timestamp that every insert and update sets to now() or "
                    + "clock_timestamp() (a DEFAULT, the application, or cdc.timestamp.install-trigger).",
            TimestampChangeSourceProvider::columnName);
    /** Optional creation-time column for the op rule. */
    public static final ConfigKey<String> CREATED_COLUMN = ConfigKey.custom("cdc.timestamp.created-column",
            "column name", null, "Optional timestamp column set once on insert: a row whose value equals "
                    + "cdc.timestamp.column is reported as op c, any other as op u.",
            TimestampChangeSourceProvider::columnName);
    /** Optional soft-delete column. */
    public static final ConfigKey<String> DELETED_COLUMN = ConfigKey.custom("cdc.timestamp.deleted-column",
            "column name", null, "Optional soft-delete column, boolean (true = deleted) or timestamp (not null = "
                    + "deleted); such rows are reported as op d. The write that marks a row deleted must also set "
                    + "cdc.timestamp.column.", TimestampChangeSourceProvider::columnName);
    /** Safety margin subtracted from the watermark. */
    public static final ConfigKey<Duration> DELAY = ConfigKey.duration("cdc.timestamp.delay",
            Duration.ofMillis(50), Duration.ofMillis(1), "Margin subtracted from the safe watermark: covers a statement that "
                    + "had taken its start time but not yet published it when the watermark was probed (microseconds, "
                    + "unless the server stalls) and a server clock that steps back. Rows wait about this long beyond "
                    + "the poll interval. Not needed for long transactions: the watermark already waits for them.");
    /** Polls between two key reconciliations; 0 turns key tracking off. */
    public static final ConfigKey<Integer> RECONCILE_EVERY_POLLS = ConfigKey.integer(
            "cdc.timestamp.reconcile.every-polls", 100, 0, 1_000_000, "Run key reconciliation, which reports hard "
                    + "deletes as op d, every this many polls (when caught up). It keeps the keys seen in a table in "
                    + "cdc.timestamp.state-schema, which also tells inserts (c) from updates (u). 0 turns both off: "
                    + "no hard deletes, no state in the database, and op c only through cdc.timestamp.created-column.");
    /** Largest key range compared key by key. */
    public static final ConfigKey<Integer> RECONCILE_CHUNK_SIZE = ConfigKey.integer(
            "cdc.timestamp.reconcile.chunk-size", 1000, 16, 10_000_000, "Key reconciliation compares hashes of key "
                    + "ranges and splits ranges that differ 16 ways until they hold at most this many keys, which "
                    + "are then compared key by key.");
    /** Schema of the strategy's own tables. */
    public static final ConfigKey<String> STATE_SCHEMA = ConfigKey.custom("cdc.timestamp.state-schema",
            "schema name", "cdckit", "Schema, created if missing, that holds the keys seen (one table per source "
                    + "and captured table) and the optional trigger function.",
            TimestampChangeSourceProvider::columnName);
    /** Whether to install the trigger that maintains the timestamp column. */
    public static final ConfigKey<Boolean> INSTALL_TRIGGER = ConfigKey.bool("cdc.timestamp.install-trigger", false,
            "Trigger-assisted mode: install a BEFORE INSERT OR UPDATE trigger on each captured table that sets "
                    + "cdc.timestamp.column to clock_timestamp(). Needs ownership of the tables.");

    /** Watermark age above which health is DEGRADED. */
    public static final ConfigKey<Duration> MAX_WATERMARK_AGE = ConfigKey.duration("cdc.timestamp.max-watermark-age",
            Duration.ofMinutes(15), Duration.ofMillis(1), "How far the read watermark may fall behind now before "
                    + "health() is DEGRADED: a long-open transaction holds it back, and so does a stalled handler.");

    /** Every key of this strategy, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(COLUMN, CREATED_COLUMN, DELETED_COLUMN, DELAY,
            RECONCILE_EVERY_POLLS, RECONCILE_CHUNK_SIZE, STATE_SCHEMA, INSTALL_TRIGGER, MAX_WATERMARK_AGE);

    /** For {@link java.util.ServiceLoader}. */
    public TimestampChangeSourceProvider() {
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
        connections.requireUrl("cdc.mode=timestamp");
        if (WholeTransactions.requested(config)) {
            throw new CdcException("cdc.batch.transactions=whole cannot be kept by cdc.mode=timestamp: polling sees "
                    + "rows as they are now, not the transactions that wrote them. Use cdc.mode=log or trigger for "
                    + "batches of whole transactions, or remove cdc.batch.transactions (default: any).");
        }
        return new TimestampChangeReader(TimestampSettings.from(config), connections, config.get(MAX_WATERMARK_AGE));
    }

    private static String columnName(String raw) {
        String s = raw.strip();
        if (s.isEmpty() || s.length() > 63 || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a column or schema name of 1 to 63 characters, as stored in the "
                    + "catalog (case-sensitive, without quotes)");
        }
        return s;
    }
}
