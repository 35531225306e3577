package io.cdckit.api;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One declared configuration key: its name, type, default, documentation and validation.
 *
 * <p>The common keys are constants of {@link CdcConfig}; each strategy declares its own
 * through {@link io.cdckit.api.spi.ChangeSourceProvider#configKeys()}. A key whose name ends
 * in {@code .*} is a prefix: any key under it is accepted and passed through as a string.
 *
 * @param <T> the parsed value's type
 */
public final class ConfigKey<T> {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

    private final String name;
    private final String type;
    private final T defaultValue;
    private final boolean required;
    private final boolean secret;
    private final String doc;
    private final Function<String, T> parser;

    private ConfigKey(String name, String type, T defaultValue, boolean required, boolean secret, String doc,
                      Function<String, T> parser) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = type;
        this.defaultValue = defaultValue;
        this.required = required;
        this.secret = secret;
        this.doc = Objects.requireNonNull(doc, "doc");
        this.parser = parser;
        if (!name.startsWith("cdc.")) {
            throw new IllegalArgumentException("configuration keys start with 'cdc.': " + name);
        }
    }

    /** A free-form string; {@code defaultValue} may be null (the key is then optional). */
    public static ConfigKey<String> string(String name, String defaultValue, String doc) {
        return new ConfigKey<>(name, "string", defaultValue, false, false, doc, s -> s);
    }

    /** A string the user must give; building a config without it fails. */
    public static ConfigKey<String> requiredString(String name, String doc) {
        return new ConfigKey<>(name, "string", null, true, false, doc, s -> s);
    }

    /** A secret: never shown by {@code toString()}, logs or error messages. */
    public static ConfigKey<String> password(String name, String doc) {
        return new ConfigKey<>(name, "password", null, false, true, doc, s -> s);
    }

    /** An integer in {@code [min, max]}. */
    public static ConfigKey<Integer> integer(String name, int defaultValue, int min, int max, String doc) {
        return new ConfigKey<>(name, "integer in [" + min + ", " + max + "]", defaultValue, false, false, doc, s -> {
            int v;
            try {
                v = Integer.parseInt(s.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("an integer between " + min + " and " + max);
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException("an integer between " + min + " and " + max);
            }
            return v;
        });
    }

    /** {@code true} or {@code false}. */
    public static ConfigKey<Boolean> bool(String name, boolean defaultValue, String doc) {
        return new ConfigKey<>(name, "boolean", defaultValue, false, false, doc, s -> {
            String v = s.strip().toLowerCase(Locale.ROOT);
            if (v.equals("true") || v.equals("false")) {
                return Boolean.valueOf(v);
            }
            throw new IllegalArgumentException("true or false");
        });
    }

    /**
     * A duration of at least {@code min}: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h},
     * {@code 1d}, an ISO-8601 {@code PT5S}, or a plain number of milliseconds.
     */
    public static ConfigKey<Duration> duration(String name, Duration defaultValue, Duration min, String doc) {
        String allowed = "a duration of at least " + format(min) + " such as 100ms, 5s, 2m or PT1S";
        return new ConfigKey<>(name, "duration", defaultValue, false, false, doc, s -> {
            Duration d = parseDuration(s.strip(), allowed);
            if (d.compareTo(min) < 0) {
                throw new IllegalArgumentException(allowed);
            }
            return d;
        });
    }

    /** One of a fixed set of lower-case words. */
    public static ConfigKey<String> choice(String name, String defaultValue, String doc, String... allowed) {
        List<String> values = List.of(allowed);
        if (defaultValue != null && !values.contains(defaultValue)) {
            throw new IllegalArgumentException("default " + defaultValue + " not among " + values);
        }
        return new ConfigKey<>(name, "one of " + String.join(", ", values), defaultValue, false, false, doc, s -> {
            String v = s.strip().toLowerCase(Locale.ROOT);
            if (values.contains(v)) {
                return v;
            }
            throw new IllegalArgumentException("one of " + String.join(", ", values));
        });
    }

    /** A comma-separated, non-empty list of tables ({@link TableId#parse} syntax). */
    public static ConfigKey<List<TableId>> tables(String name, String doc) {
        return new ConfigKey<>(name, "list of schema.table", null, false, false, doc, ConfigKey::parseTables);
    }

    /** Accepts every key under {@code prefix} (which must end with a dot), passed through as strings. */
    public static ConfigKey<String> prefix(String prefix, String doc) {
        if (!prefix.endsWith(".")) {
            throw new IllegalArgumentException("a prefix ends with '.': " + prefix);
        }
        return new ConfigKey<>(prefix + "*", "any keys under " + prefix, null, false, false, doc, s -> s);
    }

    /** A key with a custom parser that throws {@link IllegalArgumentException} with what is allowed. */
    public static <T> ConfigKey<T> custom(String name, String type, T defaultValue, String doc,
                                          Function<String, T> parser) {
        return new ConfigKey<>(name, type, defaultValue, false, false, doc, parser);
    }

    /** The key, e.g. {@code cdc.batch.max-size}; prefixes end in {@code .*}. */
    public String name() {
        return name;
    }

    /** What values are allowed, for docs and errors. */
    public String type() {
        return type;
    }

    /** The value used when the key is not set; null when the key has none. */
    public T defaultValue() {
        return defaultValue;
    }

    /**
     * The default as the documentation shows it: {@code (required)}, {@code —} for none, a
     * duration as {@code 250ms} or {@code 5s}, anything else as its text.
     */
    public String defaultText() {
        if (defaultValue == null) {
            return required ? "(required)" : "—";
        }
        return defaultValue instanceof Duration d ? format(d) : defaultValue.toString();
    }

    /** True when a config without this key is invalid. */
    public boolean required() {
        return required;
    }

    /** True for passwords and other secrets: masked wherever shown. */
    public boolean secret() {
        return secret;
    }

    /** What the key does. */
    public String doc() {
        return doc;
    }

    /** True when this key stands for every key under a prefix. */
    public boolean isPrefix() {
        return name.endsWith(".*");
    }

    /** True when {@code key} is this key, or lies under this prefix. */
    boolean matches(String key) {
        return isPrefix() ? key.startsWith(name.substring(0, name.length() - 1)) && key.length() > name.length() - 1
                : name.equals(key);
    }

    /**
     * Parses a raw value.
     *
     * @throws CdcException naming the key, the value (masked if secret) and what is allowed
     */
    T parse(String raw) {
        try {
            return parser.apply(raw);
        } catch (IllegalArgumentException e) {
            String shown = secret ? "******" : maskUrlSecrets(raw);
            throw new CdcException("Invalid value '" + shown + "' for configuration key '" + name + "': expected "
                    + e.getMessage() + ".");
        }
    }

    /** {@code value} with URL passwords masked ({@link io.cdckit.api.jdbc.Masking#maskUrl}). */
    static String maskUrlSecrets(String value) {
        return io.cdckit.api.jdbc.Masking.maskUrl(value);
    }

    @Override
    public String toString() {
        return name;
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0 || ms == 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 && s >= 300 ? s / 60 + "m" : s + "s";
    }

    private static Duration parseDuration(String s, String allowed) {
        if (s.regionMatches(true, 0, "PT", 0, 2) || s.regionMatches(true, 0, "P", 0, 1)) {
            try {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(allowed);
            }
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(allowed);
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(allowed);
        }
        String unit = m.group(2) == null ? "ms" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private static List<TableId> parseTables(String raw) {
        List<TableId> tables = new ArrayList<>();
        for (String part : splitOutsideQuotes(raw)) {
            if (part.isBlank()) {
                continue;
            }
            TableId id;
            try {
                id = TableId.parse(part);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a comma-separated list of schema.table (" + e.getMessage() + ")");
            }
            if (!tables.contains(id)) {
                tables.add(id);
            }
        }
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("a non-empty, comma-separated list of schema.table");
        }
        return List.copyOf(tables);
    }

    private static List<String> splitOutsideQuotes(String raw) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : raw.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts;
    }

    static String describe(List<ConfigKey<?>> keys) {
        return keys.stream().map(ConfigKey::name).sorted().collect(Collectors.joining(", "));
    }
}
