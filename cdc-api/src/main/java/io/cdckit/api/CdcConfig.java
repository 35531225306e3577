package io.cdckit.api;

import io.cdckit.api.jdbc.Masking;
import io.cdckit.api.spi.ChangeSourceProvider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Immutable, validated configuration of a {@link ChangeSource}.
 *
 * <p>Built from {@link Properties}, a {@link Map} or a {@link #builder()}. Every key is declared
 * (here for the common keys, by each strategy's provider for its own), and the config is
 * checked when it is built: an unknown key fails naming the closest known one, an invalid value
 * fails naming the key, the value and what is allowed, a missing required key fails naming it.
 * Secrets are masked in {@link #toString()} and in every message.
 */
public final class CdcConfig {

    /** The strategy: {@code log}, {@code trigger} or {@code timestamp} (whichever are on the classpath). */
    public static final ConfigKey<String> MODE = ConfigKey.requiredString("cdc.mode",
            "Capture strategy, chosen among the providers on the classpath: log, trigger or timestamp.");
    /** Logical name of the source, used as the offset key and in {@code source.name}. */
    public static final ConfigKey<String> NAME = ConfigKey.custom("cdc.name", "name of letters, digits, '_', '-', '.'",
            "cdckit", "Logical name of the source: the key of its committed position and source.name of its events.",
            CdcConfig::parseName);
    /** JDBC URL of the PostgreSQL database to capture. */
    public static final ConfigKey<String> JDBC_URL = ConfigKey.custom("cdc.jdbc.url", "jdbc:postgresql:// URL", null,
            "JDBC URL of the database to capture, e.g. jdbc:postgresql://localhost:5432/shop.", CdcConfig::parseUrl);
    /** Database user. */
    public static final ConfigKey<String> JDBC_USER = ConfigKey.string("cdc.jdbc.user", null,
            "Database user the source connects as.");
    /** Database password; never shown. */
    public static final ConfigKey<String> JDBC_PASSWORD = ConfigKey.password("cdc.jdbc.password",
            "Password of cdc.jdbc.user. Never logged or shown by toString().");
    /** pgjdbc driver properties for every connection, Debezium's included. */
    public static final ConfigKey<String> JDBC_PROPERTIES = ConfigKey.prefix("cdc.jdbc.properties.",
            "PostgreSQL JDBC driver properties passed to every connection the source opens, Debezium's included, "
                    + "e.g. cdc.jdbc.properties.sslmode=verify-full and cdc.jdbc.properties.sslrootcert=/etc/ssl/db-root.crt.");
    /** How long opening a connection may take. */
    public static final ConfigKey<Duration> JDBC_CONNECT_TIMEOUT = ConfigKey.duration("cdc.jdbc.connect-timeout",
            Duration.ofSeconds(10), Duration.ofSeconds(1), "How long opening a connection (TCP connect and login) "
                    + "may take before it fails; whole seconds, passed to the driver's connectTimeout and loginTimeout.");
    /** Largest number of pooled connections. */
    public static final ConfigKey<Integer> POOL_MAX_SIZE = ConfigKey.integer("cdc.pool.max-size", 2, 1, 100,
            "Largest number of connections in the pool the source owns for short work (offset store, checks, installs, "
                    + "snapshot chunks of the log and trigger strategies); connections that hold session state are opened apart from it. Not used "
                    + "when the application gives its own DataSource.");
    /** How long borrowing a pooled connection may wait. */
    public static final ConfigKey<Duration> POOL_CONNECTION_TIMEOUT = ConfigKey.duration("cdc.pool.connection-timeout",
            Duration.ofSeconds(10), Duration.ofMillis(250),
            "How long borrowing a connection from the source's pool may wait before it fails.");
    /** How long a pooled connection lives. */
    public static final ConfigKey<Duration> POOL_MAX_LIFETIME = ConfigKey.duration("cdc.pool.max-lifetime",
            Duration.ofMinutes(30), Duration.ofSeconds(30), "How long a pooled connection lives before the pool "
                    + "replaces it (rotated credentials are then used for the new one).");
    /** The tables to capture. */
    public static final ConfigKey<List<TableId>> TABLES = ConfigKey.tables("cdc.tables",
            "Tables to capture, comma-separated schema.table; double-quote parts with upper case, dots or spaces. "
                    + "Required unless cdc.tables.include chooses tables by pattern.");
    /** Patterns of tables to capture, besides cdc.tables. */
    public static final ConfigKey<List<java.util.regex.Pattern>> TABLES_INCLUDE = ConfigKey.custom(
            "cdc.tables.include", "comma-separated regular expressions over schema.table", null, "Capture, besides "
                    + "cdc.tables, every table whose schema.table matches one of these Java regular expressions "
                    + "(whole name, unquoted; e.g. sales\\..* for schema sales), also tables created later: the "
                    + "source looks again every cdc.tables.refresh-interval and picks new ones up (snapshotting them "
                    + "when cdc.snapshot.mode=initial). Partitions, system schemas and cdckit's own schema "
                    + "(cdc.offset.jdbc.schema) never match.", io.cdckit.api.jdbc.TablePatterns::parse);
    /** Patterns of tables not to capture. */
    public static final ConfigKey<List<java.util.regex.Pattern>> TABLES_EXCLUDE = ConfigKey.custom(
            "cdc.tables.exclude", "comma-separated regular expressions over schema.table", null, "Tables matching "
                    + "cdc.tables.include that are not captured (e.g. sales\\.tmp_.*).",
            io.cdckit.api.jdbc.TablePatterns::parse);
    /** How often table patterns are resolved again. */
    public static final ConfigKey<Duration> TABLES_REFRESH_INTERVAL = ConfigKey.duration("cdc.tables.refresh-interval",
            Duration.ofSeconds(30), Duration.ofMillis(100), "With cdc.tables.include: how often the source looks "
                    + "for tables created (or dropped) since, and captures the new set; a new table's changes are "
                    + "captured from then on (its earlier rows arrive as a snapshot with cdc.snapshot.mode=initial).");
    /** Key columns for tables without a primary key, or instead of it. */
    public static final ConfigKey<TableColumns> KEY_COLUMNS = ConfigKey.custom("cdc.key.columns",
            "schema.table:col,col;...", null, "Columns that key the events of a table without a primary "
                    + "key, or replace its primary key, e.g. public.orders:order_no;public.lines:order_no,line_no. "
                    + "They must be NOT NULL and unique (a unique index on some of them).", TableColumns::parse);
    /** Only these columns are captured, per table. */
    public static final ConfigKey<TableColumns> COLUMNS_INCLUDE = ConfigKey.custom("cdc.columns.include",
            "schema.table:col,col;...", null, "Only these columns of the tables named are captured (their key "
                    + "columns always are); the other tables keep all their columns.", TableColumns::parse);
    /** These columns are never captured. */
    public static final ConfigKey<TableColumns> COLUMNS_EXCLUDE = ConfigKey.custom("cdc.columns.exclude",
            "schema.table:col,col;...", null, "Columns never captured, e.g. public.users:password_hash,ssn. Key "
                    + "columns cannot be excluded.", TableColumns::parse);
    /** Text columns replaced by a salted hash. */
    public static final ConfigKey<TableColumns> COLUMNS_MASK_HASH = ConfigKey.custom("cdc.columns.mask.hash",
            "schema.table:col,col;...", null, "Text columns whose values are replaced by the hex SHA-256 of "
                    + "cdc.columns.mask.salt followed by the value: stable, so equal values still join.",
            TableColumns::parse);
    /** The salt of {@link #COLUMNS_MASK_HASH}. */
    public static final ConfigKey<String> COLUMNS_MASK_SALT = ConfigKey.password("cdc.columns.mask.salt",
            "Salt of cdc.columns.mask.hash; required with it. Keep it secret: without it the hashes of guessable "
                    + "values can be recomputed.");
    /** Text columns replaced by a fixed value. */
    public static final ConfigKey<TableColumns> COLUMNS_MASK_REPLACE = ConfigKey.custom("cdc.columns.mask.replace",
            "schema.table:col,col;...", null, "Text columns whose values are replaced by cdc.columns.mask.replacement.",
            TableColumns::parse);
    /** What {@link #COLUMNS_MASK_REPLACE} puts in. */
    public static final ConfigKey<String> COLUMNS_MASK_REPLACEMENT = ConfigKey.string("cdc.columns.mask.replacement",
            "*****", "The value of the columns in cdc.columns.mask.replace (NULL stays NULL).");
    /** Text columns cut to a length. */
    public static final ConfigKey<TableColumns> COLUMNS_TRUNCATE = ConfigKey.custom("cdc.columns.truncate",
            "schema.table:col,col;...", null, "Text columns whose values are cut to cdc.columns.truncate.length "
                    + "characters.", TableColumns::parse);
    /** The length of {@link #COLUMNS_TRUNCATE}. */
    public static final ConfigKey<Integer> COLUMNS_TRUNCATE_LENGTH = ConfigKey.integer("cdc.columns.truncate.length",
            16, 0, 1_000_000, "Characters kept of the values of the columns in cdc.columns.truncate.");
    /** Row filters per table. */
    public static final ConfigKey<String> ROW_FILTERS = ConfigKey.prefix(RowFilters.PREFIX, "cdc.filter.<schema>."
            + "<table>=<SQL condition>: only rows for which it is true are captured; an update moving a row out "
            + "arrives as a delete, one moving it in as an insert (PostgreSQL's rule for publication row filters).");
    /** {@code initial} or {@code never}. */
    public static final ConfigKey<String> SNAPSHOT_MODE = ConfigKey.choice("cdc.snapshot.mode", "initial",
            "initial: on first start (and for tables added later), read the existing rows as op r, chunk by chunk, "
                    + "while the source streams; never: stream changes only.",
            "initial", "never");
    /** Rows per snapshot chunk. */
    public static final ConfigKey<Integer> SNAPSHOT_CHUNK_SIZE = ConfigKey.integer("cdc.snapshot.chunk-size", 4096, 1,
            1_000_000, "Rows a snapshot reads per chunk, in key order, each chunk in a short transaction of its own; "
                    + "a restart resumes at the next chunk.");
    /** The table operators send signals through. */
    public static final ConfigKey<String> SIGNAL_TABLE = ConfigKey.custom("cdc.signal.table", "schema.table", null,
            "Table through which an operator sends signals without Java, e.g. cdckit.cdc_signals; created if missing. "
                    + "INSERT INTO it (source_name, type, data) VALUES ('<cdc.name>', 'execute-snapshot', "
                    + "'{\"data-collections\": [\"public.orders\"]}') snapshots those tables while the source "
                    + "streams. Not set: no signals.", CdcConfig::parseTable);
    /** How often the signal table is read. */
    public static final ConfigKey<Duration> SIGNAL_INTERVAL = ConfigKey.duration("cdc.signal.interval",
            Duration.ofSeconds(5), Duration.ofMillis(10), "How often the source reads cdc.signal.table.");
    /** Largest batch handed to the handler. */
    public static final ConfigKey<Integer> BATCH_MAX_SIZE = ConfigKey.integer("cdc.batch.max-size", 1000, 1, 1_000_000,
            "Largest number of events in one batch handed to the handler.");
    /** Whether a batch may end inside a PostgreSQL transaction. */
    public static final ConfigKey<String> BATCH_TRANSACTIONS = ConfigKey.choice("cdc.batch.transactions", "any",
            "any: a batch ends where cdc.batch.max-size says, also inside a transaction; whole: a batch holds whole "
                    + "PostgreSQL transactions only (one larger than cdc.batch.max-size is one batch, held in memory), "
                    + "and every event carries its transaction (id, order, order in its table, event count), so "
                    + "consumers can apply transactions atomically. Log and trigger strategies; timestamp polling "
                    + "sees rows, not transactions, and refuses it.", "any", "whole");
    /** How long a poll waits for changes before trying again. */
    public static final ConfigKey<Duration> POLL_INTERVAL = ConfigKey.duration("cdc.poll.interval",
            Duration.ofMillis(100), Duration.ofMillis(1),
            "How long one poll waits for changes; for polling strategies, the pause between polls.");
    /** Where committed positions are kept. */
    public static final ConfigKey<String> OFFSET_STORE = ConfigKey.custom("cdc.offset.store", "memory, file:PATH or jdbc",
            "memory", "Where committed positions are kept: memory (lost on exit), file:PATH (atomic, fsynced) or "
                    + "jdbc (a table in the captured database).", CdcConfig::parseOffsetStore);
    /** Schema of the JDBC offset table. */
    public static final ConfigKey<String> OFFSET_JDBC_SCHEMA = ConfigKey.string("cdc.offset.jdbc.schema", "cdckit",
            "Schema of the offset table when cdc.offset.store=jdbc; created if missing.");
    /** Name of the JDBC offset table. */
    public static final ConfigKey<String> OFFSET_JDBC_TABLE = ConfigKey.string("cdc.offset.jdbc.table", "cdc_offsets",
            "Name of the offset table when cdc.offset.store=jdbc; created if missing.");
    /** What to do with a batch the handler keeps failing on. */
    public static final ConfigKey<String> ERRORS_TOLERANCE = ConfigKey.choice("cdc.errors.tolerance", "none",
            "none: after the retries, stop with status FAILED; all: hand the batch to the dead-letter handler "
                    + "and go on.", "none", "all");
    /** Retries of a failing batch before giving up. */
    public static final ConfigKey<Integer> ERRORS_MAX_RETRIES = ConfigKey.integer("cdc.errors.max-retries", 10, 0,
            Integer.MAX_VALUE, "How many times a failed batch is offered again before cdc.errors.tolerance applies.");
    /** First backoff delay. */
    public static final ConfigKey<Duration> ERRORS_RETRY_INITIAL_DELAY = ConfigKey.duration(
            "cdc.errors.retry.initial-delay", Duration.ofMillis(100), Duration.ZERO,
            "Delay before the first retry; each further retry doubles it up to cdc.errors.retry.max-delay.");
    /** Largest backoff delay. */
    public static final ConfigKey<Duration> ERRORS_RETRY_MAX_DELAY = ConfigKey.duration("cdc.errors.retry.max-delay",
            Duration.ofSeconds(30), Duration.ZERO, "Upper bound of the delay between retries.");

    /** Reconnect attempts after a lost connection before the source fails. */
    public static final ConfigKey<Integer> RECONNECT_MAX_ATTEMPTS = ConfigKey.integer("cdc.reconnect.max-attempts", 30,
            0, Integer.MAX_VALUE, "After a lost connection or a failed read, how many times the source reopens its "
                    + "strategy (from the last committed position) before it stops as FAILED; 0 fails at once.");
    /** First reconnect delay. */
    public static final ConfigKey<Duration> RECONNECT_INITIAL_DELAY = ConfigKey.duration("cdc.reconnect.initial-delay",
            Duration.ofMillis(100), Duration.ZERO,
            "Delay before the first reconnect attempt; each further attempt doubles it up to cdc.reconnect.max-delay.");
    /** Largest reconnect delay. */
    public static final ConfigKey<Duration> RECONNECT_MAX_DELAY = ConfigKey.duration("cdc.reconnect.max-delay",
            Duration.ofSeconds(30), Duration.ZERO, "Upper bound of the delay between reconnect attempts.");

    /** Longest wait of one attempt of DDL on a captured table for the table's lock. */
    public static final ConfigKey<Duration> DDL_LOCK_TIMEOUT = ConfigKey.duration("cdc.ddl.lock-timeout",
            Duration.ofSeconds(2), Duration.ofMillis(1), "How long cdckit's DDL on a captured table that writers "
                    + "queue behind (installing triggers, REPLICA IDENTITY FULL) waits for a table's lock before the "
                    + "attempt is rolled back, so keep it short.");
    /** How often such DDL is tried. */
    public static final ConfigKey<Integer> DDL_LOCK_ATTEMPTS = ConfigKey.integer("cdc.ddl.lock-attempts", 5, 1, 1000,
            "How many times that DDL is tried (pausing 1 s, then 2 s, 4 s, ...; also after a deadlock) before "
                    + "start fails naming the sessions that hold the table.");

    /** How long commit-to-handler lag may grow before health is DEGRADED. */
    public static final ConfigKey<Duration> HEALTH_MAX_LAG = ConfigKey.duration("cdc.health.max-lag",
            Duration.ofMinutes(5), Duration.ofMillis(1), "Commit-to-handler lag above which health() is DEGRADED "
                    + "(where the strategy knows commit times).");
    /** How long the handler may hold one batch before health is DEGRADED. */
    public static final ConfigKey<Duration> HEALTH_HANDLER_STALL = ConfigKey.duration("cdc.health.handler-stall",
            Duration.ofSeconds(60), Duration.ofMillis(1), "How long the handler may be busy with one batch before "
                    + "health() is DEGRADED: a stalled handler lets the backlog in the database grow.");
    /** How often the backlog in the database is measured. */
    public static final ConfigKey<Duration> METRICS_BACKLOG_INTERVAL = ConfigKey.duration(
            "cdc.metrics.backlog-interval", Duration.ofSeconds(10), Duration.ZERO, "Shortest time between two "
                    + "measurements of what the source has waiting in the database (WAL retained by the slot, "
                    + "change-log entries, watermark age); metrics() and health() show the last one.");
    /** Whether the source registers its JMX MBean. */
    public static final ConfigKey<Boolean> JMX_ENABLED = ConfigKey.bool("cdc.jmx.enabled", true,
            "Registers the source's MBean io.cdckit:type=ChangeSource,name=<cdc.name> on the platform MBean server "
                    + "while it runs (attributes named as Debezium's where the meaning is the same).");

    /** The keys every strategy shares, in documentation order. */
    public static final List<ConfigKey<?>> COMMON_KEYS = List.of(MODE, NAME, JDBC_URL, JDBC_USER, JDBC_PASSWORD,
            JDBC_PROPERTIES, JDBC_CONNECT_TIMEOUT, POOL_MAX_SIZE, POOL_CONNECTION_TIMEOUT, POOL_MAX_LIFETIME, TABLES,
            TABLES_INCLUDE, TABLES_EXCLUDE, TABLES_REFRESH_INTERVAL,
            KEY_COLUMNS, COLUMNS_INCLUDE, COLUMNS_EXCLUDE, COLUMNS_MASK_HASH, COLUMNS_MASK_SALT, COLUMNS_MASK_REPLACE,
            COLUMNS_MASK_REPLACEMENT, COLUMNS_TRUNCATE, COLUMNS_TRUNCATE_LENGTH, ROW_FILTERS,
            SNAPSHOT_MODE, SNAPSHOT_CHUNK_SIZE, SIGNAL_TABLE, SIGNAL_INTERVAL, BATCH_MAX_SIZE, BATCH_TRANSACTIONS,
            POLL_INTERVAL, OFFSET_STORE, OFFSET_JDBC_SCHEMA, OFFSET_JDBC_TABLE,
            ERRORS_TOLERANCE, ERRORS_MAX_RETRIES, ERRORS_RETRY_INITIAL_DELAY, ERRORS_RETRY_MAX_DELAY,
            RECONNECT_MAX_ATTEMPTS, RECONNECT_INITIAL_DELAY, RECONNECT_MAX_DELAY, DDL_LOCK_TIMEOUT, DDL_LOCK_ATTEMPTS,
            HEALTH_MAX_LAG, HEALTH_HANDLER_STALL, METRICS_BACKLOG_INTERVAL, JMX_ENABLED);

    private static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

    private final Map<String, String> raw;
    private final Map<String, Object> parsed;
    private final List<ConfigKey<?>> keys;

    private CdcConfig(Map<String, String> raw, Map<String, Object> parsed, List<ConfigKey<?>> keys) {
        this.raw = raw;
        this.parsed = parsed;
        this.keys = keys;
    }

    /** Builds a config from properties; see the class comment for the checks. */
    public static CdcConfig from(Properties properties) {
        Objects.requireNonNull(properties, "properties");
        Map<String, Object> m = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            m.put(name, properties.getProperty(name));
        }
        return from(m);
    }

    /** Builds a config from a map of keys to values (values are converted with {@code toString()}). */
    public static CdcConfig from(Map<String, ?> values) {
        Objects.requireNonNull(values, "values");
        return validate(values, loadKeys());
    }

    /** A fluent builder; {@link Builder#build()} runs the same checks as {@link #from(Map)}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The value of a key: the configured one, else its default (null when it has none). */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        Objects.requireNonNull(key, "key");
        if (parsed.containsKey(key.name())) {
            return (T) parsed.get(key.name());
        }
        return key.defaultValue();
    }

    /** True when the key was set explicitly. */
    public boolean isSet(ConfigKey<?> key) {
        return raw.containsKey(key.name());
    }

    /** Every key set under {@code prefix}, with the prefix removed, e.g. pass-through properties. */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> out = new TreeMap<>();
        raw.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /** {@code cdc.mode}. */
    public String mode() {
        return get(MODE);
    }

    /** {@code cdc.name}. */
    public String name() {
        return get(NAME);
    }

    /** {@code cdc.jdbc.url}, or null. */
    public String jdbcUrl() {
        return get(JDBC_URL);
    }

    /** {@code cdc.jdbc.user}, or null. */
    public String jdbcUser() {
        return get(JDBC_USER);
    }

    /** {@code cdc.jdbc.password}, or null. Handle with care: never log it. */
    public String jdbcPassword() {
        return get(JDBC_PASSWORD);
    }

    /**
     * {@code cdc.tables}: the tables to capture. With {@code cdc.tables.include} the source resolves
     * the patterns and hands its strategy a config whose {@code cdc.tables} is the resolved set; in
     * the config the application built, it holds only the tables named explicitly (possibly none).
     */
    public List<TableId> tables() {
        List<TableId> t = get(TABLES);
        return t == null ? List.of() : t;
    }

    /** Every declared key known to this config (common and strategies'), for documentation. */
    public List<ConfigKey<?>> declaredKeys() {
        return keys;
    }

    /** A builder that starts from this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(raw);
        return b;
    }

    /** The configured keys and values in key order, secrets and URL passwords masked. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("CdcConfig{");
        String sep = "";
        for (Map.Entry<String, String> e : new TreeMap<>(raw).entrySet()) {
            sb.append(sep).append(e.getKey()).append('=').append(masked(e.getKey(), e.getValue()));
            sep = ", ";
        }
        return sb.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CdcConfig c && raw.equals(c.raw);
    }

    @Override
    public int hashCode() {
        return raw.hashCode();
    }

    private String masked(String key, String value) {
        ConfigKey<?> k = find(keys, key);
        if ((k != null && k.secret()) || key.toLowerCase(java.util.Locale.ROOT).contains("password")) {
            return "******";
        }
        return Masking.maskUrl(value);
    }

    /**
     * Every key a config may hold with the strategies on the classpath: the common keys, then
     * each strategy's own.
     */
    public static List<ConfigKey<?>> availableKeys() {
        return loadKeys();
    }

    static List<ConfigKey<?>> loadKeys() {
        List<ConfigKey<?>> keys = new ArrayList<>(COMMON_KEYS);
        for (ChangeSourceProvider p : ChangeSources.providers()) {
            keys.addAll(p.configKeys());
        }
        return Collections.unmodifiableList(keys);
    }

    private static ConfigKey<?> find(List<ConfigKey<?>> keys, String name) {
        for (ConfigKey<?> k : keys) {
            if (!k.isPrefix() && k.name().equals(name)) {
                return k;
            }
        }
        for (ConfigKey<?> k : keys) {
            if (k.isPrefix() && k.matches(name)) {
                return k;
            }
        }
        return null;
    }

    /**
     * Checks {@code values} the way {@link #from(Map)} does, without throwing: every problem with
     * the key it concerns (an unknown key, a value that does not parse, a required key that is
     * missing), in the order found. Empty when {@link #from(Map)} would succeed. For tools that
     * report problems per key, such as a Kafka Connect connector's validation.
     */
    public static List<ConfigProblem> check(Map<String, ?> values) {
        Objects.requireNonNull(values, "values");
        List<ConfigProblem> problems = new ArrayList<>();
        parse(values, loadKeys(), problems, new LinkedHashMap<>(), new LinkedHashMap<>());
        return List.copyOf(problems);
    }

    private static CdcConfig validate(Map<String, ?> values, List<ConfigKey<?>> keys) {
        Map<String, String> raw = new LinkedHashMap<>();
        Map<String, Object> parsed = new LinkedHashMap<>();
        List<ConfigProblem> problems = new ArrayList<>();
        parse(values, keys, problems, raw, parsed);
        if (!problems.isEmpty()) {
            throw new CdcException(problems.size() == 1 ? problems.get(0).message()
                    : "Invalid configuration:\n - " + String.join("\n - ",
                    problems.stream().map(ConfigProblem::message).toList()));
        }
        return new CdcConfig(Collections.unmodifiableMap(raw), Collections.unmodifiableMap(parsed), keys);
    }

    private static void parse(Map<String, ?> values, List<ConfigKey<?>> keys, List<ConfigProblem> problems,
                              Map<String, String> raw, Map<String, Object> parsed) {
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "configuration key").strip();
            if (e.getValue() == null) {
                continue;
            }
            String value = e.getValue().toString();
            ConfigKey<?> key = find(keys, name);
            if (key == null) {
                problems.add(new ConfigProblem(name, unknownKeyMessage(name, keys)));
                continue;
            }
            raw.put(name, value);
            if (!key.isPrefix()) {
                try {
                    parsed.put(name, key.parse(value));
                } catch (CdcException ex) {
                    problems.add(new ConfigProblem(name, ex.getMessage()));
                }
            }
        }
        if (keys.contains(TABLES) && !raw.containsKey(TABLES.name()) && !raw.containsKey(TABLES_INCLUDE.name())) {
            problems.add(new ConfigProblem(TABLES.name(), "Missing required configuration key '" + TABLES.name()
                    + "': " + TABLES.doc()));
        }
        for (ConfigKey<?> k : keys) {
            if (k.required() && !raw.containsKey(k.name())) {
                problems.add(new ConfigProblem(k.name(), "Missing required configuration key '" + k.name() + "': "
                        + k.doc()));
            }
        }
    }

    private static String unknownKeyMessage(String name, List<ConfigKey<?>> keys) {
        String closest = null;
        int best = Integer.MAX_VALUE;
        for (ConfigKey<?> k : keys) {
            String candidate = k.isPrefix() ? k.name().substring(0, k.name().length() - 1) : k.name();
            int d = editDistance(name, candidate);
            if (d < best) {
                best = d;
                closest = k.name();
            }
        }
        String msg = "Unknown configuration key '" + name + "'";
        if (closest != null && best <= Math.max(3, name.length() / 3)) {
            msg += ": did you mean '" + closest + "'?";
        } else {
            msg += ": known keys are " + ConfigKey.describe(keys) + ".";
        }
        return name.startsWith("cdc.") ? msg : msg + " (cdckit keys start with 'cdc.')";
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String parseName(String s) {
        if (!NAME_PATTERN.matcher(s).matches()) {
            throw new IllegalArgumentException("1 to 100 letters, digits, '_', '-' or '.'");
        }
        return s;
    }

    /** {@code text} with every password a JDBC URL can carry masked, for messages that quote a URL. */
    public static String maskPasswords(String text) {
        return Masking.maskUrl(text);
    }

    private static String parseTable(String s) {
        return TableId.parse(s).toString();
    }

    private static String parseUrl(String s) {
        if (!s.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("a PostgreSQL JDBC URL starting with jdbc:postgresql://");
        }
        return s;
    }

    private static String parseOffsetStore(String s) {
        String v = s.strip();
        if (v.equals("memory") || v.equals("jdbc")) {
            return v;
        }
        if (v.startsWith("file:") && v.length() > "file:".length()) {
            return v;
        }
        throw new IllegalArgumentException("memory, file:PATH (e.g. file:/var/lib/app/offsets.json) or jdbc");
    }

    /**
     * Fluent construction of a {@link CdcConfig}.
     */
    public static final class Builder {
        private final Map<String, Object> values = new LinkedHashMap<>();

        private Builder() {
        }

        /** Sets any key; checked by {@link #build()}. */
        public Builder set(String key, Object value) {
            values.put(Objects.requireNonNull(key, "key"), value);
            return this;
        }

        /** Sets a declared key. */
        public <T> Builder set(ConfigKey<T> key, T value) {
            Object v = value;
            if (value instanceof Duration d) {
                v = d.toMillis() + "ms";
            } else if (value instanceof List<?> list) {
                v = String.join(",", list.stream().map(Object::toString).toList());
            }
            return set(key.name(), v);
        }

        /** {@code cdc.mode}. */
        public Builder mode(String mode) {
            return set(MODE.name(), mode);
        }

        /** {@code cdc.name}. */
        public Builder name(String name) {
            return set(NAME.name(), name);
        }

        /** {@code cdc.jdbc.url}, {@code cdc.jdbc.user} and {@code cdc.jdbc.password}. */
        public Builder jdbc(String url, String user, String password) {
            set(JDBC_URL.name(), url);
            set(JDBC_USER.name(), user);
            return set(JDBC_PASSWORD.name(), password);
        }

        /** {@code cdc.tables}, each in {@code schema.table} syntax. */
        public Builder tables(String... tables) {
            return set(TABLES.name(), String.join(",", tables));
        }

        /** {@code cdc.tables}. */
        public Builder tables(TableId... tables) {
            return set(TABLES, List.of(tables));
        }

        /** Copies all entries of {@code map}. */
        public Builder putAll(Map<String, ?> map) {
            map.forEach(this::set);
            return this;
        }

        /** Validates and builds. */
        public CdcConfig build() {
            return from(values);
        }
    }
}
