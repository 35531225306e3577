package io.cdckit.kafka;

import io.cdckit.api.TopicNames;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.TableId;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Settings checked when building, clear errors when no broker answers, topic names, and secrets kept out of sight. */
class SettingsAndErrorsTest {

    private static final TableId TABLE = new TableId("public", "t");
    private static final List<ChangeEvent> BATCH = List.of(TestEvents.event(TABLE, Op.CREATE, 1, "a"));
    private static final String SECRET = "S3cr3t-Pa55w0rd";
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"cdc\" password=\"" + SECRET + "\";";

    @Test
    void everyInvalidSettingIsReportedAtOnceByName() {
        assertThatThrownBy(() -> KafkaChangeHandler.builder().build()).isInstanceOf(CdcException.class)
                .hasMessageContaining("bootstrap servers are required")
                .hasMessageContaining("topicPrefix is required");

        Properties p = new Properties();
        p.put("acks", "1");
        p.put("enable.idempotence", "false");
        p.put("max.in.flight.requests.per.connection", "6");
        p.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        p.put("partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner");
        p.put("delivery.timeout.ms", "1000");
        p.put("bootstrap.servers", "other:9092");
        Throwable t = catchThrowable(() -> KafkaChangeHandler.builder().bootstrapServers("localhost:9092")
                .topicPrefix("shop/orders").producerProperties(p).sendTimeout(Duration.ofMillis(10)).build());
        assertThat(t).isInstanceOf(CdcException.class);
        assertThat(t.getMessage()).startsWith("Invalid Kafka handler settings: ")
                .contains("acks=1 is not allowed")
                .contains("enable.idempotence=false is not allowed")
                .contains("max.in.flight.requests.per.connection=6 is not allowed")
                .contains("key.serializer must not be set")
                .contains("partitioner.class must not be set")
                .contains("delivery.timeout.ms must not be set: the handler sets it from sendTimeout(...)")
                .contains("bootstrapServers(\"localhost:9092\") and the producer property bootstrap.servers=other:9092 "
                        + "differ")
                .contains("sendTimeout PT0.01S is shorter than the minimum PT1S")
                .contains("topicPrefix 'shop/orders' has the character '/'");

        assertThatThrownBy(() -> KafkaChangeHandler.builder().bootstrapServers("localhost:9092").topicPrefix("p")
                .producerProperty("request.timeout.ms", "30000").sendTimeout(Duration.ofSeconds(5)).build())
                .hasMessageContaining("request.timeout.ms=30000 plus linger.ms=5 exceeds sendTimeout PT5S");
    }

    @Test
    void bootstrapServersThatAreNotHostAndPortFailWhenBuilding() {
        assertThatThrownBy(() -> KafkaChangeHandler.builder().bootstrapServers("localhost").topicPrefix("p").build())
                .isInstanceOf(CdcException.class)
                .hasMessageStartingWith("Cannot create the Kafka producer")
                .hasMessageContaining("bootstrap.servers=localhost: expected host:port");
    }

    @Test
    void aBrokerThatDoesNotAnswerFailsTheBatchWithinTheSendTimeoutNamingBootstrapServers() throws Exception {
        String dead = "localhost:" + freePort();
        try (KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers(dead).topicPrefix("dead")
                .sendTimeout(Duration.ofSeconds(1)).build()) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> handler.handle(BATCH)).isInstanceOf(CdcException.class)
                    .hasMessageContaining("Publishing a batch of 1 events to Kafka topic dead.public.t failed")
                    .hasMessageContaining("Kafka did not answer the batch within the send timeout of 1 s: check that "
                            + "bootstrap.servers=" + dead + " reaches running brokers");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            // the next attempt fails the same way, with a new producer
            assertThatThrownBy(() -> handler.handle(BATCH)).hasMessageContaining("bootstrap.servers=" + dead);
        }
        try (KafkaChangeHandler tx = KafkaChangeHandler.builder().bootstrapServers(dead).topicPrefix("dead")
                .transactionalId("dead-tx").sendTimeout(Duration.ofSeconds(1)).build()) {
            assertThatThrownBy(() -> tx.handle(BATCH)).isInstanceOf(CdcException.class)
                    .hasMessageStartingWith("Initialising Kafka transactions for transactional.id dead-tx failed: "
                            + "Kafka did not answer initTransactions() within the send timeout of 1 s")
                    .hasMessageContaining("bootstrap.servers=" + dead);
        }
    }

    @Test
    void aClosedHandlerRefusesBatches() {
        KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers("localhost:9").topicPrefix("c")
                .build();
        handler.close();
        handler.close();
        assertThatThrownBy(() -> handler.handle(BATCH)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(handler.toString()).endsWith(", closed}");
    }

    @Test
    void topicNamesReplaceWhatKafkaDoesNotAllow() {
        assertThat(TopicNames.topic("shop", new TableId("public", "orders"))).isEqualTo("shop.public.orders");
        assertThat(TopicNames.topic("shop.v1", new TableId("Sales Q1", "Öl.Preise")))
                .isEqualTo("shop.v1.Sales_Q1._l_Preise");
        assertThat(TopicNames.topic("p", new TableId("a-b_C9", "emoji 😀 \"x\"")))
                .isEqualTo("p.a-b_C9.emoji____x_");
        assertThat(TopicNames.prefixProblem("topicPrefix", "ok.prefix-1_A")).isNull();
        assertThat(TopicNames.prefixProblem("topicPrefix", "")).contains("topicPrefix is required");
        assertThat(TopicNames.prefixProblem("topicPrefix", "x".repeat(122))).contains("longer than 121 characters");
        String longest = TopicNames.topic("x".repeat(121), new TableId("s".repeat(63), "t".repeat(63)));
        assertThat(longest).hasSize(249);
    }

    @Test
    void secretsNeverAppearInMessagesExceptionsOrLogs() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        String exceptionText;
        String handlerText;
        try (PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setErr(capture);
            try (KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers("localhost:" + freePort())
                    .topicPrefix("secret").sendTimeout(Duration.ofSeconds(1))
                    .producerProperties(Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                            "sasl.jaas.config", JAAS, "ssl.key.password", new Password(SECRET + "-key")))
                    .build()) {
                handlerText = handler.toString();
                Throwable t = catchThrowable(() -> handler.handle(BATCH));
                assertThat(t).isInstanceOf(CdcException.class).hasMessageContaining("send timeout");
                exceptionText = stackTrace(t);
            }
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).as("the producer logged its configuration").contains("sasl.jaas.config = [hidden]");
        assertThat(log).doesNotContain(SECRET);
        assertThat(exceptionText).doesNotContain(SECRET);
        assertThat(handlerText).doesNotContain(SECRET);

        // a JAAS configuration Kafka cannot parse fails the build, without the password in the error
        Throwable bad = catchThrowable(() -> KafkaChangeHandler.builder().bootstrapServers("localhost:9")
                .topicPrefix("secret").producerProperty("security.protocol", "SASL_PLAINTEXT")
                .producerProperty("sasl.mechanism", "PLAIN")
                .producerProperty("sasl.jaas.config", JAAS.replace(";", "")).build());
        assertThat(bad).isInstanceOf(CdcException.class).hasMessageStartingWith("Cannot create the Kafka producer");
        assertThat(stackTrace(bad)).doesNotContain(SECRET);
    }

    @Test
    void secretValuesAreMaskedWhereverAMessageWouldCarryThem() {
        var masking = ProducerSettings.masking(Map.of("sasl.jaas.config", JAAS, "ssl.truststore.password",
                new Password("trust-" + SECRET), "client.id", "visible-client"));
        Throwable leaked = new KafkaException("bad login for " + JAAS,
                new IllegalStateException("password \"" + SECRET + "\" refused; trust-" + SECRET));
        String text = stackTrace(masking.scrubbed(leaked));
        assertThat(text).doesNotContain(SECRET).contains("bad login for").contains(KafkaException.class.getName());
        assertThat(masking.scrub("client visible-client")).isEqualTo("client visible-client");
        assertThat(ProducerSettings.isSecret("sasl.jaas.config")).isTrue();
        assertThat(ProducerSettings.isSecret("ssl.keystore.key")).isTrue();
        assertThat(ProducerSettings.isSecret("sasl.oauthbearer.client.credentials.client.secret")).isTrue();
        assertThat(ProducerSettings.isSecret("bootstrap.servers")).isFalse();
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
