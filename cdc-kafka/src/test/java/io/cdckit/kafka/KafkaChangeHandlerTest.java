package io.cdckit.kafka;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.Op;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Changes captured by the trigger strategy from a real PostgreSQL and published by the handler to a
 * real broker: topics per table, keys, values that read back to the same events, per-key order,
 * tombstones.
 */
@PostgresTest
class KafkaChangeHandlerTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void insertsUpdatesAndDeletesArriveInTheTableTopicKeyedByTheirPrimaryKey(TestDatabase db) throws Exception {
        TableId orders = new TableId("public", "kafka_orders");
        TableId prices = new TableId("Sales Q1", "Öl.Preise");
        db.execute("CREATE TABLE " + orders.quoted() + " (id int PRIMARY KEY, status text, amount numeric(10,2))",
                "CREATE SCHEMA \"Sales Q1\"",
                "CREATE TABLE " + prices.quoted() + " (region text, sku int, price float8, PRIMARY KEY (region, sku))");
        String kafka = TestKafka.shared().bootstrapServers();
        try (KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers(kafka).topicPrefix("shop")
                .sendTimeout(Duration.ofSeconds(20)).build();
             TestSources sources = new TestSources(db)) {
            assertThat(handler.topic(orders)).isEqualTo("shop.public.kafka_orders");
            assertThat(handler.topic(prices)).isEqualTo("shop.Sales_Q1._l_Preise");
            CapturedEvents captured = new CapturedEvents();
            captured.watching(sources.start(sources.config("kafka_basic", Map.of("cdc.mode", "trigger"), orders,
                    prices), OffsetStores.memory(), tee(handler, captured)));

            db.execute("INSERT INTO " + orders.quoted() + " VALUES (1, 'new', 10.50), (2, 'new', 7.00), (3, 'new', 1.25)",
                    "UPDATE " + orders.quoted() + " SET status = 'paid' WHERE id = 2",
                    "UPDATE " + orders.quoted() + " SET status = 'shipped', amount = 7.10 WHERE id = 2",
                    "DELETE FROM " + orders.quoted() + " WHERE id = 3",
                    "INSERT INTO " + prices.quoted() + " VALUES ('nord', 7, 1.5), ('süd', 8, 2.25)",
                    "UPDATE " + prices.quoted() + " SET price = 1.75 WHERE region = 'nord'",
                    "DELETE FROM " + prices.quoted() + " WHERE region = 'süd'");
            List<ChangeEvent> events = captured.awaitAtLeast(10, WAIT);
            assertThat(events).hasSize(10);

            List<ChangeEvent> orderEvents = events.stream().filter(e -> orders.equals(e.table())).toList();
            List<TopicReader.Rec> orderRecords = TopicReader.readAtLeast(kafka, "shop.public.kafka_orders",
                    TopicReader.READ_UNCOMMITTED, orderEvents.size(), WAIT);
            assertThat(orderRecords).extracting(TopicReader.Rec::event).containsExactlyElementsOf(orderEvents);
            assertThat(orderRecords).extracting(TopicReader.Rec::key).containsExactly(
                    "{\"id\":1}", "{\"id\":2}", "{\"id\":3}", "{\"id\":2}", "{\"id\":2}", "{\"id\":3}");
            assertThat(orderRecords).extracting(TopicReader.Rec::op).containsExactly("c", "c", "c", "u", "u", "d");
            ChangeEvent shipped = orderRecords.get(4).event();
            assertThat(shipped.before()).containsEntry("status", "paid");
            assertThat(shipped.after()).containsEntry("amount", new BigDecimal("7.10"));
            assertThat(orderRecords.get(5).event().after()).isNull();
            assertThat(orderRecords).noneMatch(TopicReader.Rec::tombstone);

            List<ChangeEvent> priceEvents = events.stream().filter(e -> prices.equals(e.table())).toList();
            List<TopicReader.Rec> priceRecords = TopicReader.readAtLeast(kafka, "shop.Sales_Q1._l_Preise",
                    TopicReader.READ_UNCOMMITTED, priceEvents.size(), WAIT);
            assertThat(priceRecords).extracting(TopicReader.Rec::event).containsExactlyElementsOf(priceEvents);
            assertThat(priceRecords).extracting(TopicReader.Rec::key).containsExactly(
                    "{\"region\":\"nord\",\"sku\":7}", "{\"region\":\"süd\",\"sku\":8}",
                    "{\"region\":\"nord\",\"sku\":7}", "{\"region\":\"süd\",\"sku\":8}");
            assertThat(priceRecords.get(0).event().table()).isEqualTo(prices);
        }
    }

    @Test
    void eventsOfOneKeyShareAPartitionInCommitOrder(TestDatabase db) throws Exception {
        TableId hot = new TableId("public", "kafka_hot");
        db.execute("CREATE TABLE " + hot.quoted() + " (id int PRIMARY KEY, v int NOT NULL)");
        TestKafka kafka = TestKafka.shared();
        String topic = "order.public.kafka_hot";
        kafka.createTopic(topic, 4);
        int keys = 12;
        int updates = 240;
        try (KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers(kafka.bootstrapServers())
                .topicPrefix("order").build();
             TestSources sources = new TestSources(db)) {
            CapturedEvents captured = new CapturedEvents();
            captured.watching(sources.start(sources.config("kafka_order",
                    Map.of("cdc.mode", "trigger", "cdc.batch.max-size", "17"), hot), OffsetStores.memory(),
                    tee(handler, captured)));
            Random random = new Random(42);
            try (Connection c = db.connect()) {
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + hot.quoted() + " VALUES (?, 0)")) {
                    for (int k = 0; k < keys; k++) {
                        insert.setInt(1, k);
                        insert.executeUpdate();
                    }
                }
                try (PreparedStatement update = c.prepareStatement("UPDATE " + hot.quoted()
                        + " SET v = v + 1 WHERE id = ?")) {
                    for (int i = 0; i < updates; i++) {
                        update.setInt(1, random.nextInt(keys));
                        update.executeUpdate();
                    }
                }
            }
            List<ChangeEvent> events = captured.awaitAtLeast(keys + updates, WAIT);
            List<TopicReader.Rec> records = TopicReader.readAtLeast(kafka.bootstrapServers(), topic,
                    TopicReader.READ_UNCOMMITTED, keys + updates, WAIT);
            assertThat(records).hasSize(keys + updates);

            Map<Object, List<Integer>> expected = versionsByKey(events.stream().map(e -> e.after()).toList());
            Map<Object, List<Integer>> published = versionsByKey(records.stream().map(r -> r.event().after()).toList());
            assertThat(published).isEqualTo(expected);
            for (List<Integer> versions : published.values()) {
                for (int i = 0; i < versions.size(); i++) {
                    assertThat(versions.get(i)).as("versions of one key in offset order").isEqualTo(i);
                }
            }
            Map<String, Set<Integer>> partitionsByKey = new LinkedHashMap<>();
            for (TopicReader.Rec r : records) {
                partitionsByKey.computeIfAbsent(r.key(), k -> new HashSet<>()).add(r.partition());
            }
            assertThat(partitionsByKey).hasSize(keys).allSatisfy((key, partitions) ->
                    assertThat(partitions).as("partitions of key %s", key).hasSize(1));
            Set<Integer> used = new HashSet<>();
            partitionsByKey.values().forEach(used::addAll);
            assertThat(used).as("keys spread over the partitions").hasSizeGreaterThan(1);
        }
    }

    @Test
    void aDeleteIsFollowedByATombstoneWhenAsked(TestDatabase db) throws Exception {
        TableId t = new TableId("public", "kafka_tomb");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, v text)");
        String kafka = TestKafka.shared().bootstrapServers();
        try (KafkaChangeHandler handler = KafkaChangeHandler.builder().bootstrapServers(kafka).topicPrefix("tomb")
                .tombstones(true).build();
             TestSources sources = new TestSources(db)) {
            CapturedEvents captured = new CapturedEvents();
            captured.watching(sources.start(sources.config("kafka_tomb", Map.of("cdc.mode", "trigger"), t),
                    OffsetStores.memory(), tee(handler, captured)));
            db.execute("INSERT INTO " + t.quoted() + " VALUES (1, 'a'), (2, 'b')",
                    "DELETE FROM " + t.quoted() + " WHERE id = 1",
                    "UPDATE " + t.quoted() + " SET v = 'c' WHERE id = 2");
            captured.awaitAtLeast(4, WAIT);
            List<TopicReader.Rec> records = TopicReader.readAtLeast(kafka, "tomb.public.kafka_tomb",
                    TopicReader.READ_UNCOMMITTED, 5, WAIT);
            assertThat(records).extracting(TopicReader.Rec::key).containsExactly(
                    "{\"id\":1}", "{\"id\":2}", "{\"id\":1}", "{\"id\":1}", "{\"id\":2}");
            assertThat(records).extracting(TopicReader.Rec::op).containsExactly("c", "c", "d", null, "u");
            assertThat(records.get(2).event().op()).isEqualTo(Op.DELETE);
            assertThat(records.get(3).tombstone()).isTrue();
            assertThat(records.stream().filter(TopicReader.Rec::tombstone)).hasSize(1);
        }
    }

    /** Publishes to Kafka, then records what was published. */
    static ChangeHandler tee(KafkaChangeHandler kafka, CapturedEvents captured) {
        return batch -> {
            kafka.handle(batch);
            captured.handle(batch);
        };
    }

    /** The {@code v} column of each row image, listed per {@code id}, in the given order. */
    private static Map<Object, List<Integer>> versionsByKey(List<Map<String, Object>> rows) {
        Map<Object, List<Integer>> m = new LinkedHashMap<>();
        for (Map<String, Object> row : rows) {
            m.computeIfAbsent(row.get("id"), k -> new ArrayList<>()).add((Integer) row.get("v"));
        }
        return m;
    }
}
