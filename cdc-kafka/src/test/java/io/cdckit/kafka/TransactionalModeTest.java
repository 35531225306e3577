package io.cdckit.kafka;

import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each batch is one Kafka transaction: {@code read_committed} consumers see batches whole, a
 * failed batch is aborted and never seen, and a second producer with the same transactional id
 * fences the first.
 */
@PostgresTest
class TransactionalModeTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void readCommittedConsumersGetEveryBatchInItsOwnTransaction(TestDatabase db) throws Exception {
        TableId t = new TableId("public", "kafka_tx");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v int NOT NULL)");
        String kafka = TestKafka.shared().bootstrapServers();
        try (KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers(kafka).topicPrefix("txn")
                .transactionalId("txn-source").build();
             TestSources sources = new TestSources(db)) {
            CapturedEvents captured = new CapturedEvents();
            captured.watching(sources.start(sources.config("kafka_tx",
                    Map.of("cdc.mode", "trigger", "cdc.batch.max-size", "7"), t), OffsetStores.memory(),
                    KafkaChangeHandlerTest.tee(handler, captured)));
            for (int i = 0; i < 6; i++) {
                db.execute("INSERT INTO " + t.quoted() + " SELECT g, 0 FROM generate_series(" + (i * 5) + ", "
                        + (i * 5 + 4) + ") g");
            }
            db.execute("UPDATE " + t.quoted() + " SET v = 1 WHERE id < 10");
            List<ChangeEvent> events = captured.awaitAtLeast(40, WAIT);
            assertThat(events).hasSize(40);

            List<TopicReader.Rec> records = TopicReader.readAtLeast(kafka, "txn.public.kafka_tx",
                    TopicReader.READ_COMMITTED, 40, WAIT);
            assertThat(records).extracting(TopicReader.Rec::event).containsExactlyElementsOf(events);
            // every commit marker takes an offset: at least one per batch of at most 7 records
            long lastOffset = records.get(records.size() - 1).offset();
            assertThat(lastOffset + 1).as("offsets including commit markers").isGreaterThanOrEqualTo(40 + 40 / 7);
        }
    }

    @Test
    void aFailedBatchIsAbortedWholeWhileWithoutTransactionsItsOtherRecordsArePublished() {
        TableId t = new TableId("public", "abort_me");
        String kafka = TestKafka.shared().bootstrapServers();
        String huge = "x".repeat(60_000);
        List<ChangeEvent> failing = List.of(TestEvents.event(t, Op.CREATE, 1, "a"),
                TestEvents.event(t, Op.CREATE, 2, huge), TestEvents.event(t, Op.CREATE, 3, "c"));
        ChangeEvent next = TestEvents.event(t, Op.CREATE, 4, "d");

        try (KafkaChangeHandler tx = KafkaChangeHandler.builder().bootstrapServers(kafka).topicPrefix("aborted")
                .transactionalId("aborted-source").producerProperty("max.request.size", "20000").build()) {
            assertThatThrownBy(() -> tx.handle(failing)).isInstanceOf(CdcException.class)
                    .hasMessageContaining("Publishing a batch of 3 events to Kafka topic aborted.public.abort_me failed")
                    .hasMessageContaining("transaction aborted")
                    .hasMessageContaining("RecordTooLargeException");
            tx.handle(List.of(next));
        }
        List<TopicReader.Rec> committed = TopicReader.readAtLeast(kafka, "aborted.public.abort_me",
                TopicReader.READ_COMMITTED, 1, WAIT);
        assertThat(committed).extracting(TopicReader.Rec::event).containsExactly(next);

        try (KafkaChangeHandler plain = KafkaChangeHandler.builder().bootstrapServers(kafka).topicPrefix("partial")
                .producerProperty("max.request.size", "20000").build()) {
            assertThatThrownBy(() -> plain.handle(failing)).isInstanceOf(CdcException.class)
                    .hasMessageContaining("1 of 3 records acknowledged")
                    .hasMessageContaining("RecordTooLargeException");
        }
        // without a transaction what was sent before the failing record stays; sending stops at that record
        List<TopicReader.Rec> partial = TopicReader.readAtLeast(kafka, "partial.public.abort_me",
                TopicReader.READ_UNCOMMITTED, 1, WAIT);
        assertThat(partial).extracting(TopicReader.Rec::event).containsExactly(failing.get(0));
    }

    @Test
    void aSecondProducerWithTheSameTransactionalIdFencesTheFirst() {
        TableId t = new TableId("public", "fenced");
        String kafka = TestKafka.shared().bootstrapServers();
        KafkaChangeHandler.Builder builder = KafkaChangeHandler.builder().bootstrapServers(kafka)
                .topicPrefix("fence").transactionalId("fence-source").sendTimeout(Duration.ofSeconds(10));
        try (KafkaChangeHandler first = builder.build(); KafkaChangeHandler second = builder.build()) {
            first.handle(List.of(TestEvents.event(t, Op.CREATE, 1, "first")));
            second.handle(List.of(TestEvents.event(t, Op.CREATE, 2, "second")));

            List<ChangeEvent> late = List.of(TestEvents.event(t, Op.CREATE, 3, "first again"));
            String fenced = "The Kafka producer with transactional.id fence-source was fenced: another producer "
                    + "started with the same transactional.id";
            assertThatThrownBy(() -> first.handle(late)).isInstanceOf(CdcException.class)
                    .hasMessageStartingWith(fenced);
            assertThatThrownBy(() -> first.handle(late)).isInstanceOf(CdcException.class)
                    .hasMessageStartingWith(fenced);
            assertThat(first.toString()).contains("fenced");

            second.handle(List.of(TestEvents.event(t, Op.CREATE, 4, "second again")));
        }
        List<TopicReader.Rec> records = TopicReader.readAtLeast(kafka, "fence.public.fenced",
                TopicReader.READ_COMMITTED, 3, WAIT);
        assertThat(records).extracting(r -> r.event().after().get("v"))
                .containsExactly("first", "second", "second again");
    }
}
