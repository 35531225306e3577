package io.cdckit.connect;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ColumnSelection;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.ConfigProblem;
import io.cdckit.api.RowFilters;
import io.cdckit.api.TopicNames;
import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.errors.ConnectException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The connector's configuration: cdckit's own {@code cdc.*} keys, with the same names and
 * meanings as in an embedded source, and the Connect-side keys {@code topic.prefix} and
 * {@code tombstones.on.delete} (Debezium's names). {@code cdc.name} defaults to the connector's
 * name.
 *
 * @param cdc         the cdckit config the tasks' readers are made from
 * @param topicPrefix the first part of every topic, {@code <topic.prefix>.<schema>.<table>}
 * @param tombstones  whether a delete is followed by a tombstone
 */
record ConnectorSettings(CdcConfig cdc, String topicPrefix, boolean tombstones) {

    static final String TOPIC_PREFIX = "topic.prefix";
    static final String TOMBSTONES = "tombstones.on.delete";
    /** Set by the connector in a task's config: the tables that task captures (timestamp mode). */
    static final String TASK_TABLES = "cdckit.task.tables";

    private static final String OFFSETS = "the connector keeps its positions as Connect source offsets (in the "
            + "workers' offset topic)";
    private static final String ERRORS = "a task hands its records to Connect, whose errors.tolerance, "
            + "errors.retry.timeout and errors.deadletterqueue.* settings apply";
    /** Keys an embedded source reads that mean nothing on Connect, with what takes their place. */
    private static final Map<String, String> NOT_ON_CONNECT = Map.of(
            CdcConfig.OFFSET_STORE.name(), OFFSETS,
            CdcConfig.OFFSET_JDBC_SCHEMA.name(), OFFSETS,
            CdcConfig.OFFSET_JDBC_TABLE.name(), OFFSETS,
            CdcConfig.SIGNAL_TABLE.name(), "on Connect a table is snapshotted when the connector first sees it; to "
                    + "snapshot again, stop the connector and reset its offsets (DELETE /connectors/<name>/offsets)",
            CdcConfig.ERRORS_TOLERANCE.name(), ERRORS,
            CdcConfig.ERRORS_MAX_RETRIES.name(), ERRORS,
            CdcConfig.ERRORS_RETRY_INITIAL_DELAY.name(), ERRORS,
            CdcConfig.ERRORS_RETRY_MAX_DELAY.name(), ERRORS);

    /**
     * The keys Connect shows for this connector: topic.prefix, tombstones.on.delete and every
     * {@code cdc.*} key of the strategies on the plugin's classpath, secrets as passwords so the
     * REST API masks them. The checks are cdckit's own ({@link #problems}).
     */
    static ConfigDef configDef() {
        ConfigDef def = new ConfigDef()
                .define(TOPIC_PREFIX, ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.Importance.HIGH,
                        "Topics are named <topic.prefix>.<schema>.<table> (Debezium's naming). Letters, digits, "
                                + "'.', '_' and '-'.")
                .define(TOMBSTONES, ConfigDef.Type.BOOLEAN, true, ConfigDef.Importance.MEDIUM,
                        "Whether a delete event is followed by a tombstone (the key with a null value), so that "
                                + "log compaction removes the deleted row's records.");
        for (ConfigKey<?> k : CdcConfig.availableKeys()) {
            if (k.isPrefix()) {
                continue;
            }
            def.define(k.name(), k.secret() ? ConfigDef.Type.PASSWORD : ConfigDef.Type.STRING, null,
                    k.required() ? ConfigDef.Importance.HIGH : ConfigDef.Importance.MEDIUM,
                    k.doc() + (k.defaultText() == null ? "" : " Default: " + k.defaultText() + "."));
        }
        return def;
    }

    /**
     * The settings of a connector or task config.
     *
     * @throws CdcException with every problem, the way validation reports them
     */
    static ConnectorSettings from(Map<String, String> props) {
        List<ConfigProblem> problems = problems(props);
        if (!problems.isEmpty()) {
            throw new CdcException("Invalid cdckit connector configuration:\n - " + String.join("\n - ",
                    problems.stream().map(ConfigProblem::message).toList()));
        }
        return new ConnectorSettings(CdcConfig.from(cdcValues(props)), props.get(TOPIC_PREFIX),
                !"false".equalsIgnoreCase(props.getOrDefault(TOMBSTONES, "true").strip()));
    }

    /**
     * The settings a connector or task starts with.
     *
     * @throws ConnectException with every problem, so that Connect shows cdckit's message
     */
    static ConnectorSettings forStart(Map<String, String> props) {
        try {
            return from(props);
        } catch (CdcException e) {
            throw new ConnectException(e.getMessage(), e);
        }
    }

    /**
     * What is wrong with {@code props} that can be told without connecting, per key: cdckit's own
     * key checks ({@link CdcConfig#check}), the topic prefix, keys that mean nothing on Connect,
     * and the chosen strategy's own checks.
     */
    static List<ConfigProblem> problems(Map<String, String> props) {
        List<ConfigProblem> problems = new ArrayList<>();
        String prefixProblem = TopicNames.prefixProblem(TOPIC_PREFIX, props.get(TOPIC_PREFIX));
        if (prefixProblem != null) {
            problems.add(new ConfigProblem(TOPIC_PREFIX, prefixProblem));
        }
        String tombstones = props.get(TOMBSTONES);
        if (tombstones != null && !tombstones.strip().equalsIgnoreCase("true")
                && !tombstones.strip().equalsIgnoreCase("false")) {
            problems.add(new ConfigProblem(TOMBSTONES, "Invalid value '" + tombstones + "' for " + TOMBSTONES
                    + ": expected true or false."));
        }
        for (String key : props.keySet()) {
            String instead = NOT_ON_CONNECT.get(key);
            if (instead != null) {
                problems.add(new ConfigProblem(key, key + " has no effect on Kafka Connect: " + instead + ". Remove "
                        + key + "."));
            }
        }
        Map<String, String> cdc = cdcValues(props);
        List<ConfigProblem> own = CdcConfig.check(cdc);
        problems.addAll(own);
        if (own.isEmpty()) {
            CdcConfig config = CdcConfig.from(cdc);
            try {
                ColumnSelection.of(config);
                RowFilters.of(config);
            } catch (CdcException e) {
                problems.add(new ConfigProblem(keyNamedIn(e.getMessage()), e.getMessage()));
            }
            strategyProblem(config).ifPresent(problems::add);
        }
        return problems;
    }

    /** The {@code cdc.*} keys of {@code props}, with {@code cdc.name} defaulted to the connector's name. */
    static Map<String, String> cdcValues(Map<String, String> props) {
        Map<String, String> cdc = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            if (k.startsWith("cdc.") && !NOT_ON_CONNECT.containsKey(k) && v != null) {
                cdc.put(k, v);
            }
        });
        String connectorName = props.get("name");
        if (!cdc.containsKey(CdcConfig.NAME.name()) && connectorName != null) {
            cdc.put(CdcConfig.NAME.name(), connectorName);
        }
        return cdc;
    }

    /** The strategy of {@code cdc.mode}, found the way {@link io.cdckit.api.ChangeSources} finds it. */
    static ChangeSourceProvider provider(String mode) {
        List<String> modes = new ArrayList<>();
        for (ChangeSourceProvider p : ServiceLoader.load(ChangeSourceProvider.class,
                ConnectorSettings.class.getClassLoader())) {
            if (p.mode().equals(mode)) {
                return p;
            }
            modes.add(p.mode());
        }
        throw new CdcException("Unknown cdc.mode '" + mode + "': the strategies in this plugin provide "
                + String.join(", ", modes.stream().sorted().toList()) + ".");
    }

    /** The strategy's own checks, which it runs when it makes a reader (without connecting). */
    private static Optional<ConfigProblem> strategyProblem(CdcConfig config) {
        try (SourceConnections connections = SourceConnections.create(config);
             ChangeReader ignored = provider(config.mode()).createReader(config, connections)) {
            return Optional.empty();
        } catch (CdcException e) {
            return Optional.of(new ConfigProblem(keyNamedIn(e.getMessage()), e.getMessage()));
        } catch (Exception e) {
            return Optional.of(new ConfigProblem(CdcConfig.MODE.name(), String.valueOf(e.getMessage())));
        }
    }

    /** The first {@code cdc.*} key a message names, or {@code cdc.mode}. */
    static String keyNamedIn(String message) {
        Matcher m = Pattern.compile("cdc\\.[a-z0-9][a-z0-9.\\-]*[a-z0-9]")
                .matcher(message == null ? "" : message);
        while (m.find()) {
            String candidate = m.group();
            for (ConfigKey<?> k : CdcConfig.availableKeys()) {
                if (k.name().equals(candidate) || (k.isPrefix() && candidate.startsWith(k.name().replace("*", "")))) {
                    return candidate;
                }
            }
        }
        return CdcConfig.MODE.name();
    }
}
