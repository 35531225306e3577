package io.cdckit.kafka;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.SourceStatus;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker stops while a source publishes: the handler throws, naming bootstrap.servers, the source
 * retries the same batch and delivers nothing after it, and once the broker is back every change
 * arrives and the source goes on.
 */
@PostgresTest
class BrokerOutageTest {

    @Test
    void aStoppedBrokerFailsTheBatchUntilItIsBackAndNothingIsLost(TestDatabase db) {
        TableId t = new TableId("public", "kafka_outage");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)");
        try (TestKafka kafka = TestKafka.start();
             KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers(kafka.bootstrapServers())
                     .topicPrefix("outage").sendTimeout(Duration.ofSeconds(2)).build();
             TestSources sources = new TestSources(db)) {
            String topic = handler.topic(t);
            kafka.createTopic(topic, 2);
            CapturedEvents captured = new CapturedEvents();
            List<Exception> failures = Collections.synchronizedList(new ArrayList<>());
            ChangeHandler publishing = batch -> {
                try {
                    handler.handle(batch);
                } catch (RuntimeException e) {
                    failures.add(e);
                    throw e;
                }
                captured.handle(batch);
            };
            ChangeSource source = sources.start(sources.config("kafka_outage", Map.of("cdc.mode", "trigger",
                    "cdc.errors.max-retries", "1000", "cdc.errors.retry.initial-delay", "100ms",
                    "cdc.errors.retry.max-delay", "500ms"), t), OffsetStores.memory(), publishing);
            captured.watching(source);

            db.execute("INSERT INTO " + t.quoted() + " SELECT g, 'before' FROM generate_series(1, 5) g");
            captured.awaitAtLeast(5, Duration.ofSeconds(60));

            kafka.stopBroker();
            db.execute("INSERT INTO " + t.quoted() + " SELECT g, 'during' FROM generate_series(6, 10) g");
            await().atMost(Duration.ofSeconds(60)).until(() -> failures.size() >= 2);
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RETRYING);
            assertThat(failures.get(0)).hasMessageContaining("Kafka did not answer the batch within the send "
                    + "timeout of 2 s: check that bootstrap.servers=" + kafka.bootstrapServers());
            assertThat(captured.events()).as("nothing after the failing batch is delivered").hasSize(5);

            kafka.startBroker();
            captured.awaitAtLeast(10, Duration.ofSeconds(60));
            db.execute("INSERT INTO " + t.quoted() + " SELECT g, 'after' FROM generate_series(11, 15) g");
            captured.awaitAtLeast(15, Duration.ofSeconds(60));
            assertThat(source.status().state()).isEqualTo(SourceStatus.State.RUNNING);

            List<TopicReader.Rec> records = TopicReader.readAtLeast(kafka.bootstrapServers(), topic,
                    TopicReader.READ_UNCOMMITTED, 15, Duration.ofSeconds(60));
            List<Integer> ids = records.stream().map(r -> (Integer) r.event().key().get("id")).toList();
            assertThat(ids).containsAll(IntStream.rangeClosed(1, 15).boxed().toList());
            // only the batch that failed may have been written more than once
            for (int id : List.of(1, 2, 3, 4, 5, 11, 12, 13, 14, 15)) {
                assertThat(ids.stream().filter(i -> i == id)).as("copies of id %d", id).hasSize(1);
            }
            List<ChangeEvent> published = records.stream().map(TopicReader.Rec::event).distinct().toList();
            assertThat(published).containsExactlyInAnyOrderElementsOf(captured.events());
        }
    }
}
