package io.cdckit.connect.testkit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.WorkerHandle;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.awaitility.Awaitility.await;

/**
 * A distributed Kafka Connect cluster in this JVM for the tests: Kafka's own
 * {@code EmbeddedConnectCluster} (workers on free ports) over a one-broker KRaft cluster. The one
 * place that knows Kafka's internal test classes. Workers use the JSON converter with schemas,
 * flush offsets every half second and reassign a departed worker's tasks after a second.
 */
public final class ConnectTestCluster implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(90);

    private final EmbeddedConnectCluster connect;

    private ConnectTestCluster(EmbeddedConnectCluster connect) {
        this.connect = connect;
    }

    /** Starts a cluster of {@code workers} workers; with {@code exactlyOnce}, exactly-once source support is on. */
    public static ConnectTestCluster start(int workers, boolean exactlyOnce) {
        Map<String, String> workerProps = new HashMap<>();
        workerProps.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        workerProps.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        workerProps.put("key.converter.schemas.enable", "true");
        workerProps.put("value.converter.schemas.enable", "true");
        workerProps.put("offset.flush.interval.ms", "500");
        workerProps.put("scheduled.rebalance.max.delay.ms", "1000");
        workerProps.put("plugin.discovery", "service_load");
        if (exactlyOnce) {
            workerProps.put("exactly.once.source.support", "enabled");
        }
        Properties brokerProps = new Properties();
        brokerProps.put("transaction.state.log.replication.factor", "1");
        brokerProps.put("transaction.state.log.min.isr", "1");
        EmbeddedConnectCluster cluster = new EmbeddedConnectCluster.Builder()
                .name("cdckit-" + System.nanoTime())
                .numWorkers(workers)
                .numBrokers(1)
                .workerProps(workerProps)
                .brokerProps(brokerProps)
                .build();
        cluster.start();
        return new ConnectTestCluster(cluster);
    }

    public String bootstrapServers() {
        return connect.kafka().bootstrapServers();
    }

    /** Creates (or reconfigures) a connector; topics it writes are created with one partition. */
    public void configure(String name, Map<String, String> config) {
        Map<String, String> c = new HashMap<>(config);
        c.putIfAbsent("topic.creation.default.replication.factor", "1");
        c.putIfAbsent("topic.creation.default.partitions", "1");
        connect.configureConnector(name, c);
    }

    public void delete(String name) {
        connect.deleteConnector(name);
    }

    /** Waits until the connector and {@code tasks} tasks run. */
    public void awaitRunning(String name, int tasks) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            ConnectorStateInfo s = connect.connectorStatus(name);
            return "RUNNING".equals(s.connector().state()) && s.tasks().size() == tasks
                    && s.tasks().stream().allMatch(t -> "RUNNING".equals(t.state()));
        });
    }

    /** The workers ({@code host:port}) running the connector's tasks, by task id. */
    public Map<Integer, String> taskWorkers(String name) {
        Map<Integer, String> m = new HashMap<>();
        for (ConnectorStateInfo.TaskState t : connect.connectorStatus(name).tasks()) {
            m.put(t.id(), t.workerId());
        }
        return m;
    }

    /** The state and trace of each task, for failure messages. */
    public String describe(String name) {
        return connect.connectorStatus(name).toString();
    }

    /**
     * Stops, gracefully, the worker running {@code task} of the connector, and waits until its
     * tasks run on the other workers.
     *
     * @return the stopped worker, {@code host:port}
     */
    public String stopWorkerOf(String name, int task) {
        String worker = taskWorkers(name).get(task);
        WorkerHandle handle = connect.workers().stream()
                .filter(w -> worker.equals(w.url().getHost() + ":" + w.url().getPort())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no worker " + worker + " among " + connect.workers()));
        int tasks = connect.connectorStatus(name).tasks().size();
        connect.removeWorker(handle);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            ConnectorStateInfo s = connect.connectorStatus(name);
            return s.tasks().size() == tasks && s.tasks().stream()
                    .allMatch(t -> "RUNNING".equals(t.state()) && !worker.equals(t.workerId()));
        });
        return worker;
    }

    /** Adds a worker, which makes the group rebalance. */
    public void addWorker() {
        connect.addWorker();
    }

    /** Connect's validation of a connector config: the error messages by key. */
    public Map<String, List<String>> validate(String connectorClass, Map<String, String> config) {
        ConfigInfos infos = connect.validateConnectorConfig(connectorClass, config);
        Map<String, List<String>> errors = new HashMap<>();
        infos.configs().forEach(ci -> {
            if (ci.configValue() != null && !ci.configValue().errors().isEmpty()) {
                errors.put(ci.configValue().name(), ci.configValue().errors());
            }
        });
        return errors;
    }

    /** A consumer that reads only committed records from the beginning. */
    public KafkaConsumer<byte[], byte[]> readCommittedConsumer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "verifier-" + System.nanoTime());
        return connect.kafka().createConsumer(props);
    }

    @Override
    public void close() {
        connect.stop();
    }
}
