package io.cdckit.kafka;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeEventJson;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;

/**
 * Reads a whole topic from the beginning, without a consumer group, as {@code read_committed} or
 * {@code read_uncommitted}. Records come back in partition order, partition by partition.
 */
final class TopicReader {

    static final String READ_COMMITTED = "read_committed";
    static final String READ_UNCOMMITTED = "read_uncommitted";

    private TopicReader() {
    }

    /** One record as the tests look at it. */
    record Rec(int partition, long offset, long timestamp, String key, String value, String op) {

        /** The value read back as an event; fails for a tombstone. */
        ChangeEvent event() {
            return ChangeEventJson.read(value);
        }

        boolean tombstone() {
            return value == null;
        }
    }

    /**
     * Everything in the topic up to its end, once {@code done} holds for what was read or the
     * timeout passed; a topic that does not exist yet is waited for.
     */
    static List<Rec> readUntil(String bootstrap, String topic, String isolation, Predicate<List<Rec>> done,
                               Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Rec> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties(bootstrap, isolation))) {
            List<TopicPartition> partitions = partitions(consumer, topic, deadline);
            if (partitions.isEmpty()) {
                return read;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (true) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    read.add(new Rec(r.partition(), r.offset(), r.timestamp(), text(r.key()), text(r.value()), op(r)));
                }
                boolean atEnd = true;
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
                for (TopicPartition tp : partitions) {
                    atEnd &= consumer.position(tp) >= ends.get(tp);
                }
                if ((atEnd && done.test(read)) || System.nanoTime() > deadline) {
                    read.sort(Comparator.comparingInt(Rec::partition).thenComparingLong(Rec::offset));
                    return read;
                }
            }
        }
    }

    /** Everything in the topic once at least {@code count} records were read. */
    static List<Rec> readAtLeast(String bootstrap, String topic, String isolation, int count, Duration timeout) {
        return readUntil(bootstrap, topic, isolation, r -> r.size() >= count, timeout);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic,
                                                   long deadline) {
        while (true) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            }
            if (System.nanoTime() > deadline) {
                return List.of();
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
        }
    }

    private static Properties properties(String bootstrap, String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    private static String op(ConsumerRecord<byte[], byte[]> r) {
        Header h = r.headers().lastHeader(KafkaChangeHandler.OP_HEADER);
        return h == null ? null : text(h.value());
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
