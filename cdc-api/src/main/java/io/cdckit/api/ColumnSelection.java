package io.cdckit.api;

import io.cdckit.api.jdbc.TableSchema;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which columns a source captures and how it masks them, the same in every strategy
 * ({@code cdc.columns.include}, {@code cdc.columns.exclude}, {@code cdc.columns.mask.hash},
 * {@code cdc.columns.mask.replace}, {@code cdc.columns.truncate}).
 *
 * <p>{@link #apply} shapes an event before anything else sees it (the handler, the JSON, Kafka):
 * columns not captured are removed from {@code before} and {@code after}, masked ones replaced.
 * Strategies that can avoid reading the columns not captured do so ({@link #captured}); the
 * timestamp strategy selects only the captured ones.
 *
 * <p>{@link #check} runs at start against the catalog: every column named must exist, key
 * columns can be neither excluded nor masked, and masking applies to text columns only, so an
 * event's column keeps its type.
 */
public final class ColumnSelection {

    private static final Set<String> TEXT_TYPES = Set.of("text", "varchar", "bpchar", "name", "char", "citext");

    /** How a column is masked. */
    private enum Mask { HASH, REPLACE, TRUNCATE }

    private final TableColumns include;
    private final TableColumns exclude;
    private final Map<TableId, Map<String, Mask>> masks = new LinkedHashMap<>();
    private final Map<Mask, String> keyOf = new LinkedHashMap<>();
    private final String salt;
    private final String replacement;
    private final int truncateTo;

    private ColumnSelection(CdcConfig config) {
        this.include = orNone(config.get(CdcConfig.COLUMNS_INCLUDE));
        this.exclude = orNone(config.get(CdcConfig.COLUMNS_EXCLUDE));
        this.salt = config.get(CdcConfig.COLUMNS_MASK_SALT);
        this.replacement = config.get(CdcConfig.COLUMNS_MASK_REPLACEMENT);
        this.truncateTo = config.get(CdcConfig.COLUMNS_TRUNCATE_LENGTH);
        addMasks(config, CdcConfig.COLUMNS_MASK_HASH, Mask.HASH);
        addMasks(config, CdcConfig.COLUMNS_MASK_REPLACE, Mask.REPLACE);
        addMasks(config, CdcConfig.COLUMNS_TRUNCATE, Mask.TRUNCATE);
        if (keyOf.containsKey(Mask.HASH) && (salt == null || salt.isEmpty())) {
            throw new CdcException("cdc.columns.mask.hash needs cdc.columns.mask.salt: set a secret salt, so that "
                    + "the hashes of guessable values (names, e-mail addresses) cannot be recomputed.");
        }
    }

    /**
     * The selection a config asks for.
     *
     * @throws CdcException when hashing is asked for without a salt, or a column is masked twice
     */
    public static ColumnSelection of(CdcConfig config) {
        return new ColumnSelection(config);
    }

    private static TableColumns orNone(TableColumns c) {
        return c == null ? TableColumns.NONE : c;
    }

    private void addMasks(CdcConfig config, ConfigKey<TableColumns> key, Mask mask) {
        TableColumns cols = config.get(key);
        if (cols == null) {
            return;
        }
        keyOf.put(mask, key.name());
        cols.columns().forEach((table, names) -> {
            Map<String, Mask> m = masks.computeIfAbsent(table, t -> new LinkedHashMap<>());
            for (String n : names) {
                Mask before = m.put(n, mask);
                if (before != null && before != mask) {
                    throw new CdcException("Column " + n + " of " + table + " is masked twice, by "
                            + keyOf.get(before) + " and " + key.name() + ": name it in one of them.");
                }
            }
        });
    }

    /** True when every column of every table is captured as it is. */
    public boolean isEmpty() {
        return include.columns().isEmpty() && exclude.columns().isEmpty() && masks.isEmpty();
    }

    /**
     * Checks the selection against a table's catalog entry.
     *
     * @throws CdcException naming the key, the value and the fix
     */
    public void check(TableSchema schema) {
        TableId t = schema.id();
        Map<String, TableSchema.Column> columns = new LinkedHashMap<>();
        schema.columns().forEach(c -> columns.put(c.name(), c));
        checkNamed(CdcConfig.COLUMNS_INCLUDE.name(), t, include.of(t), columns);
        checkNamed(CdcConfig.COLUMNS_EXCLUDE.name(), t, exclude.of(t), columns);
        List<String> excluded = exclude.of(t) == null ? List.of() : exclude.of(t);
        for (String k : schema.primaryKey()) {
            if (excluded.contains(k)) {
                throw new CdcException("cdc.columns.exclude excludes " + k + " of " + t + ", a key column: every "
                        + "event carries its key. Remove it from cdc.columns.exclude (or key the table by other "
                        + "columns with cdc.key.columns).");
            }
        }
        Map<String, Mask> m = masks.getOrDefault(t, Map.of());
        m.forEach((name, mask) -> {
            String key = keyOf.get(mask);
            checkNamed(key, t, List.of(name), columns);
            if (schema.primaryKey().contains(name)) {
                throw new CdcException(key + " masks " + name + " of " + t + ", a key column: a masked key would "
                        + "no longer identify the row. Remove it from " + key + ".");
            }
            String type = columns.get(name).typeName();
            if (!TEXT_TYPES.contains(type)) {
                throw new CdcException(key + " masks " + name + " of " + t + ", a column of type " + type + ": "
                        + "masking applies to text columns (text, varchar, char), so that the column keeps its "
                        + "type. Exclude it with cdc.columns.exclude instead.");
            }
        });
    }

    private static void checkNamed(String key, TableId t, List<String> named, Map<String, TableSchema.Column> columns) {
        if (named == null) {
            return;
        }
        for (String n : named) {
            if (!columns.containsKey(n)) {
                throw new CdcException(key + " names column '" + n + "' of " + t + ", which has no such column: its "
                        + "columns are " + String.join(", ", columns.keySet()) + ". Fix " + key
                        + " (unquoted names are folded to lower case).");
            }
        }
    }

    /**
     * The columns of {@code schema} that are captured, in table order: those included (all
     * when none are named) and not excluded, and always the key columns.
     */
    public List<String> captured(TableSchema schema) {
        List<String> in = include.of(schema.id());
        List<String> out = exclude.of(schema.id());
        List<String> names = new ArrayList<>();
        for (TableSchema.Column c : schema.columns()) {
            String n = c.name();
            boolean key = schema.primaryKey().contains(n);
            if (key || ((in == null || in.contains(n)) && (out == null || !out.contains(n)))) {
                names.add(n);
            }
        }
        return names;
    }

    /** The event with the columns not captured removed and masked ones replaced; itself when nothing applies. */
    public ChangeEvent apply(ChangeEvent e) {
        TableId t = e.table();
        if (t == null || (include.of(t) == null && exclude.of(t) == null && !masks.containsKey(t))) {
            return e;
        }
        return new ChangeEvent(e.op(), shape(t, e.before(), e.key()), shape(t, e.after(), e.key()), e.key(),
                e.source(), e.tsMs(), e.transaction(), e.position());
    }

    /** {@link #apply} to each event of a batch. */
    public List<ChangeEvent> apply(List<ChangeEvent> batch) {
        if (isEmpty()) {
            return batch;
        }
        List<ChangeEvent> out = new ArrayList<>(batch.size());
        for (ChangeEvent e : batch) {
            out.add(apply(e));
        }
        return out;
    }

    private Map<String, Object> shape(TableId t, Map<String, Object> image, Map<String, Object> key) {
        if (image == null) {
            return null;
        }
        List<String> in = include.of(t);
        List<String> out = exclude.of(t);
        Map<String, Mask> m = masks.getOrDefault(t, Map.of());
        Map<String, Object> shaped = new LinkedHashMap<>();
        for (Map.Entry<String, Object> c : image.entrySet()) {
            String n = c.getKey();
            boolean isKey = key.containsKey(n);
            if (!isKey && ((in != null && !in.contains(n)) || (out != null && out.contains(n)))) {
                continue;
            }
            Mask mask = m.get(n);
            shaped.put(n, mask == null || c.getValue() == null ? c.getValue() : mask(mask, c.getValue().toString()));
        }
        return shaped;
    }

    private String mask(Mask mask, String value) {
        return switch (mask) {
            case HASH -> hash(value);
            case REPLACE -> replacement;
            case TRUNCATE -> value.codePointCount(0, value.length()) <= truncateTo ? value
                    : value.substring(0, value.offsetByCodePoints(0, truncateTo));
        };
    }

    private String hash(String value) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /**
     * Checks the selection against the catalog of every table it names, which must be captured
     * ({@code cdc.tables}).
     *
     * @throws CdcException naming the key, the value and the fix
     */
    public void check(java.sql.Connection c, CdcConfig config) throws java.sql.SQLException {
        for (TableId t : tables()) {
            if (!config.tables().contains(t)) {
                throw new CdcException("A cdc.columns.* key names table " + t + ", which is not captured (cdc.tables is "
                        + config.tables() + "): fix the table name, or add the table to cdc.tables.");
            }
            check(TableSchema.load(c, t, config.get(CdcConfig.KEY_COLUMNS)));
        }
    }

    /**
     * The start-time check of what a source captures, shared by every way a source runs (the
     * delivery loop, the Kafka Connect task): {@code cdc.columns.*} and {@code cdc.filter.*}
     * against the catalog, on one borrowed connection, when either is set.
     *
     * @throws CdcException naming the key, the value and the fix
     */
    public static void checkAtStart(CdcConfig config, io.cdckit.api.jdbc.SourceConnections connections)
            throws java.sql.SQLException {
        ColumnSelection selection = of(config);
        RowFilters filters = RowFilters.of(config);
        if (selection.isEmpty() && filters.isEmpty()) {
            return;
        }
        try (java.sql.Connection c = connections.borrow()) {
            selection.check(c, config);
            filters.check(c, config);
        }
    }

    /** The tables this selection names, for checks at start. */
    public Set<TableId> tables() {
        Set<TableId> s = new LinkedHashSet<>(include.columns().keySet());
        s.addAll(exclude.columns().keySet());
        s.addAll(masks.keySet());
        return s;
    }

    @Override
    public String toString() {
        return "ColumnSelection{include=" + include + ", exclude=" + exclude + ", masked=" + masks.keySet() + "}";
    }
}
