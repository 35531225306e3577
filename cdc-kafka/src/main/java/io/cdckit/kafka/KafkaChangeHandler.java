package io.cdckit.kafka;

import io.cdckit.api.TopicNames;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeEventJson;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.TableId;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * A {@link ChangeHandler} that publishes every batch to Kafka and returns only when Kafka has
 * acknowledged every record of it, so that a source commits a batch's position only once the whole
 * batch is in Kafka. When any record fails, {@link #handle} throws: the source offers the same
 * batch again and never commits past it.
 *
 * <pre>{@code
 * try (KafkaChangeHandler kafka = KafkaChangeHandler.builder()
 *         .bootstrapServers("kafka-1:9092,kafka-2:9092")
 *         .topicPrefix("shop")                 // topics shop.<schema>.<table>
 *         .build();
 *      ChangeSource source = ChangeSources.create(config)) {
 *     source.start(kafka);
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Records.</b> One record per event, to topic {@code <topicPrefix>.<schema>.<table>}; in
 * schema and table names every character Kafka does not allow in topic names (anything but ASCII
 * letters, digits, {@code _} and {@code -}), and the dot, becomes {@code _}, one per character:
 * table {@code "Sales Q1"."Öl.Preise"} goes to {@code shop.Sales_Q1._l_Preise}. The key is the
 * event's key columns as a JSON object, as Debezium's key payload ({@code {"id":42}}); a truncate,
 * and a row of a table without a key, has a null key. The value is the event exactly as
 * {@link ChangeEventJson#write} writes it: Debezium's envelope, which {@link ChangeEventJson#read}
 * reads back into the same event. The header {@value #OP_HEADER} holds the operation code
 * ({@code c}, {@code u}, {@code d}, {@code r}, {@code t}). With {@link Builder#tombstones(boolean)
 * tombstones(true)} a delete is followed by a tombstone, the same key with a null value and no
 * header, so that a compacted topic can drop the row.
 *
 * <p><b>Order.</b> Records with the same key go to the same partition (Kafka's default partitioner
 * hashes the key bytes), and the idempotent producer ({@code enable.idempotence=true},
 * {@code acks=all}, at most 5 requests in flight) keeps their order within a partition across
 * retries; batches are published one after the other. So the events of one row arrive in a
 * partition in commit order. Truncates have no key and may land in any partition.
 *
 * <p><b>Delivery.</b> At-least-once: after a failure or a crash the source offers the batch again,
 * and records of it that Kafka had already acknowledged are published a second time. Duplicates
 * come only from the batch in flight: the same changes again, with the same keys, in the same
 * order. Consumers should apply changes idempotently (upsert and delete by key), or drop a change
 * they have seen by what identifies it in its strategy: the trigger strategy's change-log id
 * ({@code position.id}), the log strategy's WAL position ({@code source.lsn}). The position as a
 * whole may differ between the two copies. After a failure the handler discards its producer and
 * publishes the next attempt with a new one; sending stops at the first record that fails at once.
 *
 * <p><b>Transactions.</b> With a {@link Builder#transactionalId(String) transactional id} the
 * producer calls {@code initTransactions()} once, and each batch is one Kafka transaction, aborted
 * when any record fails, so {@code isolation.level=read_committed} consumers see a batch whole or
 * not at all. This does not make delivery exactly-once end to end: a crash after Kafka committed a
 * batch's transaction but before the source committed the batch's position re-sends that batch in
 * a new transaction. Only the batch in flight can come twice, so delivery stays at-least-once unless
 * consumers deduplicate as above. A second producer with the same transactional id fences this one: the handler then
 * closes itself and every batch fails with a message that says so, since two instances are
 * publishing the same stream. Give each source its own transactional id.
 *
 * <p><b>Errors.</b> Settings are checked by {@link Builder#build()}, which reports every problem at
 * once, each naming its setting. A broker that does not answer within the
 * {@link Builder#sendTimeout(Duration) send timeout} fails the batch with a message naming
 * {@code bootstrap.servers}; one attempt takes at most about twice the send timeout (waiting for
 * metadata, then for acknowledgements). Secrets among the producer properties (passwords, the JAAS
 * configuration, tokens, private keys) never appear in this handler's messages, exceptions or
 * {@code toString()}.
 *
 * <p>Thread-safe: {@link #handle} and {@link #close} run one at a time; {@code close} waits for the
 * batch in flight. Close the source before the handler.
 */
public final class KafkaChangeHandler implements ChangeHandler, AutoCloseable {

    /** The record header holding the event's operation code: {@code c}, {@code u}, {@code d}, {@code r} or {@code t}. */
    public static final String OP_HEADER = "cdc.op";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaChangeHandler.class);
    private static final String INIT = "initTransactions()";

    private final ProducerSettings settings;
    private final String topicPrefix;
    private final boolean tombstones;
    private final EventRecords records;
    private Producer<byte[], byte[]> producer;
    private boolean transactionsReady;
    private volatile boolean closed;
    private volatile String fenced;

    private KafkaChangeHandler(ProducerSettings settings, String topicPrefix, boolean tombstones) {
        this.settings = settings;
        this.topicPrefix = topicPrefix;
        this.tombstones = tombstones;
        this.records = new EventRecords(topicPrefix, tombstones);
        this.producer = createProducer();
        LOG.info("Kafka handler publishing to topics {}.<schema>.<table> at bootstrap.servers={}{}", topicPrefix,
                settings.masking().scrub(settings.bootstrapServers()),
                settings.transactionalId() == null ? "" : " in transactions (transactional.id="
                        + settings.transactionalId() + ")");
    }

    /** A builder; {@code topicPrefix} and bootstrap servers are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Publishes the batch and waits until Kafka acknowledged every record of it (in transactional
     * mode: until the batch's transaction committed).
     *
     * @throws CdcException when any record was not acknowledged, naming the cause; nothing of the
     *                      batch counts as published, and the source offers it again
     * @throws IllegalStateException when the handler was closed
     */
    @Override
    public synchronized void handle(List<ChangeEvent> events) {
        if (fenced != null) {
            throw new CdcException(fenced);
        }
        if (closed) {
            throw new IllegalStateException("the Kafka handler for topics " + topicPrefix + ".* is closed");
        }
        if (events.isEmpty()) {
            return;
        }
        List<ProducerRecord<byte[], byte[]>> batch = records.of(events);
        if (settings.transactionalId() == null) {
            publish(batch, events);
        } else {
            publishInTransaction(batch, events);
        }
    }

    /** The topic that events of {@code table} are published to. */
    public String topic(TableId table) {
        return TopicNames.topic(topicPrefix, table);
    }

    /** Closes the producer, waiting at most the send timeout for what it still holds. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        discardProducer(settings.sendTimeout());
    }

    @Override
    public String toString() {
        return "KafkaChangeHandler{bootstrap.servers=" + settings.masking().scrub(settings.bootstrapServers())
                + ", topicPrefix=" + topicPrefix
                + (settings.transactionalId() == null ? "" : ", transactional.id=" + settings.transactionalId())
                + ", sendTimeout=" + settings.sendTimeout() + ", tombstones=" + tombstones
                + (fenced != null ? ", fenced" : closed ? ", closed" : "") + "}";
    }

    /** Sends every record, flushes, and checks every acknowledgement. */
    private void publish(List<ProducerRecord<byte[], byte[]>> batch, List<ChangeEvent> events) {
        Producer<byte[], byte[]> p = producer();
        List<Future<RecordMetadata>> futures = new ArrayList<>(batch.size());
        Throwable failure = null;
        try {
            sendUntilFailure(p, batch, futures);
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            p.flush();
        } catch (RuntimeException e) {
            failure = first(failure, e);
        }
        int acknowledged = 0;
        for (Future<RecordMetadata> f : futures) {
            Throwable t = outcome(f);
            if (t == null) {
                acknowledged++;
            } else {
                failure = first(failure, t);
            }
        }
        if (failure != null || acknowledged < batch.size()) {
            // a fresh producer for the next attempt: nothing of this one's state can get in its way
            discardProducer(Duration.ZERO);
            throw failure(events, batch, acknowledged + " of " + batch.size() + " records acknowledged", failure);
        }
    }

    /** One transaction per batch: begin, send every record, commit; abort on any failure. */
    private void publishInTransaction(List<ProducerRecord<byte[], byte[]>> batch, List<ChangeEvent> events) {
        Producer<byte[], byte[]> p = producer();
        List<Future<RecordMetadata>> futures = new ArrayList<>(batch.size());
        try {
            p.beginTransaction();
            sendUntilFailure(p, batch, futures);
            p.commitTransaction();
        } catch (RuntimeException e) {
            // the first record that failed says more than "cannot commit in an error state"
            Throwable failure = e;
            for (Future<RecordMetadata> f : futures) {
                Throwable t = f.isDone() ? outcome(f) : null;
                if (t != null) {
                    failure = t;
                    break;
                }
            }
            if (isFenced(e) || isFenced(failure)) {
                throw fence(e);
            }
            abort(p);
            throw failure(events, batch, "transaction aborted", failure);
        }
        // a committed transaction holds every record; anything else would be a client bug, so fail loudly
        Throwable missing = futures.size() < batch.size() ? new IllegalStateException("only " + futures.size()
                + " of " + batch.size() + " records were sent") : null;
        for (Future<RecordMetadata> f : futures) {
            missing = first(missing, outcome(f));
        }
        if (missing != null) {
            discardProducer(Duration.ZERO);
            throw failure(events, batch, "transaction committed incomplete", missing);
        }
    }

    /**
     * Sends the records in order, stopping at the first that failed at once: without metadata each
     * send would wait out the send timeout again, and the batch fails anyway.
     */
    private static void sendUntilFailure(Producer<byte[], byte[]> p, List<ProducerRecord<byte[], byte[]>> batch,
                                         List<Future<RecordMetadata>> futures) {
        for (ProducerRecord<byte[], byte[]> r : batch) {
            Future<RecordMetadata> f = p.send(r);
            futures.add(f);
            if (f.isDone() && outcome(f) != null) {
                return;
            }
        }
    }

    private void abort(Producer<byte[], byte[]> p) {
        try {
            p.abortTransaction();
        } catch (RuntimeException e) {
            if (isFenced(e)) {
                throw fence(e);
            }
            // the producer's state is unknown: a new one fences it, and its initTransactions() aborts what it left
            LOG.debug("Aborting the Kafka transaction failed; the next batch uses a new producer", e);
            discardProducer(Duration.ZERO);
        }
    }

    /** The producer, created if a failure discarded it, with transactions initialised when transactional. */
    private Producer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = createProducer();
            transactionsReady = false;
        }
        if (settings.transactionalId() != null && !transactionsReady) {
            try {
                producer.initTransactions();
                transactionsReady = true;
            } catch (RuntimeException e) {
                discardProducer(Duration.ZERO);
                throw scrubbed("Initialising Kafka transactions for transactional.id " + settings.transactionalId()
                        + " failed: " + explain(e, INIT), e);
            }
        }
        return producer;
    }

    private Producer<byte[], byte[]> createProducer() {
        try {
            return new KafkaProducer<>(settings.properties());
        } catch (KafkaException e) {
            String m = String.valueOf(e.getMessage()) + causeText(e);
            String hint = m.contains("bootstrap") ? " (bootstrap.servers=" + settings.bootstrapServers()
                    + ": expected host:port[,host:port...] with hosts that resolve)" : "";
            throw scrubbed("Cannot create the Kafka producer: " + m + hint, e);
        }
    }

    private void discardProducer(Duration timeout) {
        Producer<byte[], byte[]> p = producer;
        producer = null;
        transactionsReady = false;
        if (p != null) {
            try {
                p.close(timeout);
            } catch (RuntimeException e) {
                LOG.debug("Closing the Kafka producer failed", e);
            }
        }
    }

    private CdcException fence(Throwable e) {
        fenced = "The Kafka producer with transactional.id " + settings.transactionalId() + " was fenced: another "
                + "producer started with the same transactional.id, so two instances publish the same stream. This "
                + "handler closed itself and fails every batch; stop the other instance, or give each source its own "
                + "transactional id, then restart.";
        closed = true;
        discardProducer(Duration.ZERO);
        return scrubbed(fenced, e);
    }

    private CdcException failure(List<ChangeEvent> events, List<ProducerRecord<byte[], byte[]>> batch,
                                 String outcome, Throwable cause) {
        Set<String> topics = new LinkedHashSet<>();
        for (ProducerRecord<byte[], byte[]> r : batch) {
            topics.add(r.topic());
        }
        String topicText = topics.size() <= 3 ? String.join(", ", topics)
                : String.join(", ", new ArrayList<>(topics).subList(0, 3)) + " and " + (topics.size() - 3) + " more";
        String message = "Publishing a batch of " + events.size() + " events to Kafka topic" + (topics.size() == 1
                ? " " : "s ") + topicText + " failed (" + outcome + "): " + explain(cause, "the batch")
                + ". The batch counts as not delivered; it is offered again and nothing after it is committed.";
        return scrubbed(message, cause);
    }

    /** What went wrong, and the setting to look at. */
    private String explain(Throwable cause, String what) {
        if (cause == null) {
            return "no acknowledgement";
        }
        if (find(cause, TimeoutException.class) != null) {
            return "Kafka did not answer " + what + " within the send timeout of " + format(settings.sendTimeout())
                    + ": check that bootstrap.servers=" + settings.bootstrapServers() + " reaches running brokers"
                    + (what.equals(INIT) ? "" : ", and that the topics exist or may be created automatically")
                    + " (" + describe(cause) + ")";
        }
        if (find(cause, AuthenticationException.class) != null) {
            return "Kafka refused the credentials: check security.protocol, sasl.mechanism and sasl.jaas.config ("
                    + describe(cause) + ")";
        }
        if (find(cause, AuthorizationException.class) != null) {
            return "Kafka denied the operation: the principal needs WRITE and DESCRIBE on the topics"
                    + (settings.transactionalId() == null ? "" : ", and WRITE and DESCRIBE on transactional id "
                    + settings.transactionalId()) + " (" + describe(cause) + ")";
        }
        return describe(cause);
    }

    private CdcException scrubbed(String message, Throwable cause) {
        return new CdcException(settings.masking().scrub(message),
                cause == null ? null : settings.masking().scrubbed(cause));
    }

    private static boolean isFenced(Throwable t) {
        return find(t, ProducerFencedException.class) != null;
    }

    private static Throwable outcome(Future<RecordMetadata> f) {
        if (!f.isDone()) {
            return new TimeoutException("no acknowledgement");
        }
        try {
            f.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause() == null ? e : e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    private static Throwable first(Throwable current, Throwable next) {
        return current != null ? current : next;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        StringBuilder b = new StringBuilder(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        Throwable c = t.getCause();
        for (int depth = 0; c != null && c != t && depth < 5; depth++, c = c.getCause()) {
            b.append("; caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        return b.toString();
    }

    private static String causeText(Throwable t) {
        return t.getCause() == null ? "" : " (" + describe(t.getCause()) + ")";
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /**
     * Settings of a {@link KafkaChangeHandler}. Required: a topic prefix, and bootstrap servers
     * (here or as the producer property {@code bootstrap.servers}).
     */
    public static final class Builder {

        private final Map<String, Object> producerProperties = new LinkedHashMap<>();
        private String bootstrapServers;
        private String topicPrefix;
        private String transactionalId;
        private Duration sendTimeout = Duration.ofSeconds(30);
        private boolean tombstones;

        private Builder() {
        }

        /** The brokers to start from, {@code host:port[,host:port...]} (Kafka's {@code bootstrap.servers}). */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers").strip();
            return this;
        }

        /**
         * Producer properties to add, e.g. {@code security.protocol}, {@code sasl.jaas.config},
         * {@code compression.type}, {@code linger.ms}, {@code batch.size}; a {@link java.util.Properties}
         * works too. The handler's guarantees rest on {@code enable.idempotence=true}, {@code acks=all},
         * {@code max.in.flight.requests.per.connection} at most 5, its own serializers and Kafka's
         * default partitioner: properties that contradict them are rejected, as are
         * {@code delivery.timeout.ms} and {@code max.block.ms}, which come from {@link #sendTimeout}.
         */
        public Builder producerProperties(Map<?, ?> properties) {
            Objects.requireNonNull(properties, "properties");
            properties.forEach((k, v) -> producerProperty(String.valueOf(k), v));
            return this;
        }

        /** One producer property; see {@link #producerProperties(Map)}. */
        public Builder producerProperty(String key, Object value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, () -> "value of producer property " + key);
            producerProperties.put(key, value);
            return this;
        }

        /**
         * The first part of every topic name: {@code <topicPrefix>.<schema>.<table>}. ASCII letters,
         * digits, {@code .}, {@code _} and {@code -}, at most 121
         * characters. Required.
         */
        public Builder topicPrefix(String topicPrefix) {
            this.topicPrefix = Objects.requireNonNull(topicPrefix, "topicPrefix");
            return this;
        }

        /**
         * Publishes each batch as one Kafka transaction under this {@code transactional.id}; unique
         * per source. Without it (the default) the producer is idempotent but not transactional.
         */
        public Builder transactionalId(String transactionalId) {
            this.transactionalId = Objects.requireNonNull(transactionalId, "transactionalId");
            return this;
        }

        /**
         * How long Kafka may take to acknowledge a record (Kafka's {@code delivery.timeout.ms}), and
         * to answer for metadata, a commit or an abort ({@code max.block.ms}); at least 1 s, 30 s by
         * default.
         */
        public Builder sendTimeout(Duration sendTimeout) {
            this.sendTimeout = Objects.requireNonNull(sendTimeout, "sendTimeout");
            return this;
        }

        /** Whether a delete is followed by a tombstone (same key, null value); false by default. */
        public Builder tombstones(boolean tombstones) {
            this.tombstones = tombstones;
            return this;
        }

        /**
         * Checks the settings and creates the producer (which connects on the first batch).
         *
         * @throws CdcException listing every invalid setting by name, or when the producer cannot be
         *                      created (such as bootstrap servers that are not host:port or do not resolve)
         */
        public KafkaChangeHandler build() {
            String prefixProblem = TopicNames.prefixProblem("topicPrefix", topicPrefix);
            ProducerSettings settings;
            try {
                settings = ProducerSettings.resolve(producerProperties, bootstrapServers, transactionalId,
                        sendTimeout);
            } catch (CdcException e) {
                if (prefixProblem == null) {
                    throw e;
                }
                throw new CdcException(e.getMessage() + "; " + prefixProblem);
            }
            if (prefixProblem != null) {
                throw new CdcException("Invalid Kafka handler settings: " + prefixProblem);
            }
            return new KafkaChangeHandler(settings, topicPrefix, tombstones);
        }
    }
}
