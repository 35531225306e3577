package io.cdckit.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka cluster in this JVM for the tests: Kafka's own KRaft test cluster with one controller and
 * one broker, on free ports, with its logs under {@code target/}. The one place that knows Kafka's
 * test-cluster classes. {@link #shared()} is one cluster for the whole test JVM; {@link #start()}
 * gives a test a cluster of its own, e.g. to stop its broker.
 */
final class TestKafka implements AutoCloseable {

    private static TestKafka shared;

    private final KafkaClusterTestKit cluster;
    private final int brokerId;

    private TestKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
        this.brokerId = cluster.brokers().keySet().iterator().next();
    }

    /** The cluster all tests of this JVM share, started on first use and stopped at exit. */
    static synchronized TestKafka shared() {
        if (shared == null) {
            TestKafka k = start();
            Runtime.getRuntime().addShutdownHook(new Thread(k::close, "test-kafka-stop"));
            shared = k;
        }
        return shared;
    }

    /** A new cluster; the caller closes it. */
    static TestKafka start() {
        try {
            Path base = Files.createDirectories(Path.of("target", "kafka"));
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(false)
                    .setNumControllerNodes(1)
                    .setNumBrokerNodes(1)
                    .setBaseDirectory(Files.createTempDirectory(base.toAbsolutePath(), "cluster-"))
                    .build();
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("auto.create.topics.enable", "true")
                    .build();
            try {
                cluster.format();
                cluster.startup();
                cluster.waitForReadyBrokers();
            } catch (Exception e) {
                cluster.close();
                throw e;
            }
            return new TestKafka(cluster);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test Kafka cluster", e);
        }
    }

    /** {@code host:port} of the broker. */
    String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** An admin client; the caller closes it. */
    Admin admin() {
        return cluster.admin();
    }

    /** Creates a topic with {@code partitions} partitions and waits until it exists. */
    void createTopic(String name, int partitions) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
    }

    /** Stops the broker (the controller keeps running); its port refuses connections until {@link #startBroker()}. */
    void stopBroker() {
        cluster.brokers().get(brokerId).shutdown();
        cluster.brokers().get(brokerId).awaitShutdown();
    }

    /** Starts the stopped broker again on the same port and waits until it serves. */
    void startBroker() {
        cluster.brokers().get(brokerId).startup();
        try {
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            throw new IllegalStateException("the test broker did not come back", e);
        }
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the test Kafka cluster", e);
        }
    }
}
