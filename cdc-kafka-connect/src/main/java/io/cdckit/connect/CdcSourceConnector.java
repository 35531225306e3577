package io.cdckit.connect;

import io.cdckit.api.CdckitVersion;
import io.cdckit.api.ConfigProblem;
import io.cdckit.api.spi.WholeTransactions;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ConnectorTransactionBoundaries;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * cdckit on Kafka Connect: runs any capture strategy ({@code cdc.mode}) from the connector's
 * config, with the same {@code cdc.*} keys as an embedded source, and writes Debezium's change
 * event envelope to {@code <topic.prefix>.<schema>.<table>}.
 *
 * <pre>{@code
 * connector.class=io.cdckit.connect.CdcSourceConnector
 * topic.prefix=shop
 * cdc.mode=trigger
 * cdc.jdbc.url=jdbc:postgresql://db:5432/shop
 * cdc.jdbc.user=cdc
 * cdc.jdbc.password=...
 * cdc.tables=public.orders,public.customers
 * }</pre>
 *
 * <p>Validation reports cdckit's own checks per key, whether the database answers and whether
 * the tables exist. Exactly-once source support (KIP-618) is offered with
 * {@code transaction.boundary=poll} or {@code interval}, and {@code connector} (a Kafka
 * transaction per PostgreSQL transaction) with {@code cdc.batch.transactions=whole} in the log and
 * trigger modes; tasks are laid out by {@link TaskLayout}; with {@code cdc.tables.include} the
 * connector watches for new tables ({@link TableWatch}).
 */
public final class CdcSourceConnector extends SourceConnector {

    private static final Logger LOG = LoggerFactory.getLogger(CdcSourceConnector.class);

    private Map<String, String> props;
    private ConnectorSettings settings;
    /** With cdc.tables.include: looks for new tables and asks Connect to reconfigure the tasks. */
    private TableWatch watch;

    /** Used by Connect. */
    public CdcSourceConnector() {
    }

    @Override
    public String version() {
        return CdckitVersion.get();
    }

    @Override
    public void start(Map<String, String> props) {
        this.settings = ConnectorSettings.forStart(props);
        this.props = Map.copyOf(props);
        if (io.cdckit.api.jdbc.TablePatterns.of(settings.cdc()).dynamic()) {
            watch = TableWatch.start(settings.cdc(), context::requestTaskReconfiguration);
        }
        if (!TaskLayout.PER_TABLE_MODE.equals(settings.cdc().mode())) {
            LOG.info("cdckit connector '{}' runs cdc.mode={} as one task: its changes form one ordered stream",
                    settings.cdc().name(), settings.cdc().mode());
        }
    }

    @Override
    public Class<? extends Task> taskClass() {
        return CdcSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        if (watch == null) {
            return TaskLayout.taskConfigs(props, settings.cdc(), maxTasks);
        }
        // tasks get the tables the patterns select now, as an explicit list
        List<io.cdckit.api.TableId> tables = watch.tables();
        Map<String, String> explicit = new java.util.LinkedHashMap<>(props);
        explicit.remove(io.cdckit.api.CdcConfig.TABLES_INCLUDE.name());
        explicit.remove(io.cdckit.api.CdcConfig.TABLES_EXCLUDE.name());
        explicit.put(io.cdckit.api.CdcConfig.TABLES.name(),
                String.join(",", tables.stream().map(io.cdckit.api.TableId::toString).toList()));
        return TaskLayout.taskConfigs(explicit, settings.cdc().toBuilder().set(io.cdckit.api.CdcConfig.TABLES, tables)
                .build(), maxTasks);
    }

    @Override
    public void stop() {
        if (watch != null) {
            watch.close();
            watch = null;
        }
    }

    @Override
    public ConfigDef config() {
        return ConnectorSettings.configDef();
    }

    /**
     * Connect's checks of the declared keys, then cdckit's: every problem is reported on the key
     * it concerns (keys Connect does not declare, such as a misspelt {@code cdc.*} key or
     * {@code cdc.jdbc.properties.*}, get an entry of their own). When the keys are fine, it
     * connects to the database and reads the tables' catalog entries.
     */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config config = super.validate(connectorConfigs);
        List<ConfigValue> values = new ArrayList<>(config.configValues());
        List<ConfigProblem> problems = new ArrayList<>(ConnectorSettings.problems(connectorConfigs));
        if (problems.isEmpty()) {
            problems.addAll(DatabaseCheck.problems(ConnectorSettings.from(connectorConfigs).cdc()));
        }
        for (ConfigProblem p : problems) {
            ConfigValue v = values.stream().filter(c -> c.name().equals(p.key())).findFirst().orElse(null);
            if (v == null) {
                v = new ConfigValue(p.key(), connectorConfigs.get(p.key()), List.of(), new ArrayList<>());
                values.add(v);
            }
            if (!v.errorMessages().contains(p.message())) {
                v.addErrorMessage(p.message());
            }
        }
        return new Config(values);
    }

    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
        return ExactlyOnceSupport.SUPPORTED;
    }

    @Override
    public ConnectorTransactionBoundaries canDefineTransactionBoundaries(Map<String, String> connectorConfig) {
        // with whole transactions, each PostgreSQL transaction's last record ends a Kafka transaction
        try {
            io.cdckit.api.CdcConfig cdc = ConnectorSettings.from(connectorConfig).cdc();
            return WholeTransactions.requested(cdc) && !"timestamp".equals(cdc.mode())
                    ? ConnectorTransactionBoundaries.SUPPORTED : ConnectorTransactionBoundaries.UNSUPPORTED;
        } catch (RuntimeException invalid) {
            return ConnectorTransactionBoundaries.UNSUPPORTED; // validate() reports what is wrong
        }
    }
}
