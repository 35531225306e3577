package io.cdckit.kafka;

import io.cdckit.api.CdcException;
import io.cdckit.api.jdbc.Masking;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The producer configuration the handler runs with: the application's producer properties, plus
 * the settings its guarantees rest on, which the application may repeat but not contradict:
 * {@code enable.idempotence=true}, {@code acks=all}, {@code max.in.flight.requests.per.connection}
 * at most 5, byte-array serializers, Kafka's default partitioner, and the send timeout as
 * {@code delivery.timeout.ms} and {@code max.block.ms}. Every problem is reported at once.
 *
 * @param properties      the producer's configuration
 * @param bootstrapServers the {@code bootstrap.servers} in force
 * @param transactionalId the {@code transactional.id}, or null for an idempotent producer without transactions
 * @param sendTimeout     how long one send, flush, commit or abort may take
 * @param masking         masks the secret values of the properties (passwords, JAAS configuration)
 */
record ProducerSettings(Properties properties, String bootstrapServers, String transactionalId,
                        Duration sendTimeout, Masking masking) {

    /** The shortest send timeout: anything less fails on an ordinary broker round trip. */
    static final Duration MIN_SEND_TIMEOUT = Duration.ofSeconds(1);
    /** Kafka's default {@code linger.ms} since 4.0. */
    private static final long DEFAULT_LINGER_MS = 5;
    /** Kafka's default {@code request.timeout.ms}. */
    private static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
    /** Kafka's default {@code transaction.timeout.ms}. */
    private static final long DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
    private static final Pattern JAAS_SECRET = Pattern.compile(
            "(?i)([a-z0-9_.]*(?:password|secret|token|credential)[a-z0-9_.]*)\\s*=\\s*\"([^\"]*)\"");

    /**
     * Checks and completes the application's settings.
     *
     * @throws CdcException listing every problem, each naming its setting
     */
    static ProducerSettings resolve(Map<String, Object> producerProperties, String bootstrapServers,
                                    String transactionalId, Duration sendTimeout) {
        Masking masking = masking(producerProperties);
        List<String> problems = new ArrayList<>();
        Properties p = new Properties();
        producerProperties.forEach(p::put);

        String servers = merge(problems, "bootstrap.servers", "bootstrapServers", bootstrapServers,
                text(producerProperties.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)));
        if (servers == null || servers.isBlank()) {
            problems.add("bootstrap servers are required: set bootstrapServers(\"host:9092,...\") or the producer "
                    + "property bootstrap.servers");
        } else {
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        }
        String txId = merge(problems, "transactional.id", "transactionalId", transactionalId,
                text(producerProperties.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG)));
        if (txId != null && txId.isBlank()) {
            problems.add("transactional.id must not be blank");
        }
        if (txId != null) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txId);
        }

        require(problems, producerProperties, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, List.of("true"),
                "the handler relies on the idempotent producer to keep per-partition order across retries");
        require(problems, producerProperties, ProducerConfig.ACKS_CONFIG, List.of("all", "-1"),
                "a batch counts as delivered only when every in-sync replica has it");
        Object inFlight = producerProperties.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
        if (inFlight != null) {
            Long n = number(inFlight);
            if (n == null || n < 1 || n > 5) {
                problems.add(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION + "=" + inFlight
                        + " is not allowed: the idempotent producer keeps order only with 1 to 5");
            }
        }
        for (String key : List.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG)) {
            if (producerProperties.containsKey(key)) {
                problems.add(key + " must not be set: the handler writes keys and values as JSON bytes itself");
            }
        }
        if (producerProperties.containsKey(ProducerConfig.PARTITIONER_CLASS_CONFIG)) {
            problems.add(ProducerConfig.PARTITIONER_CLASS_CONFIG + " must not be set: per-key order relies on "
                    + "Kafka's default partitioner, which sends equal keys to the same partition");
        }
        for (String key : List.of(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ProducerConfig.MAX_BLOCK_MS_CONFIG)) {
            if (producerProperties.containsKey(key)) {
                problems.add(key + " must not be set: the handler sets it from sendTimeout(...)");
            }
        }

        if (sendTimeout.compareTo(MIN_SEND_TIMEOUT) < 0) {
            problems.add("sendTimeout " + sendTimeout + " is shorter than the minimum " + MIN_SEND_TIMEOUT);
        }
        long timeoutMs = sendTimeout.toMillis();
        Long linger = numberOr(problems, producerProperties, ProducerConfig.LINGER_MS_CONFIG, DEFAULT_LINGER_MS);
        Long request = numberOr(problems, producerProperties, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, null);
        if (linger != null && request != null && request + linger > timeoutMs) {
            problems.add(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG + "=" + request + " plus "
                    + ProducerConfig.LINGER_MS_CONFIG + "=" + linger + " exceeds sendTimeout " + sendTimeout
                    + ": lower them or raise sendTimeout");
        } else if (linger != null && request == null) {
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                    Long.toString(Math.max(1, Math.min(DEFAULT_REQUEST_TIMEOUT_MS, timeoutMs - linger))));
        }
        if (!problems.isEmpty()) {
            throw new CdcException(masking.scrub("Invalid Kafka handler settings: " + String.join("; ", problems)));
        }

        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(timeoutMs));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeoutMs));
        if (txId != null && !producerProperties.containsKey(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)
                && 2 * timeoutMs > DEFAULT_TRANSACTION_TIMEOUT_MS) {
            // a batch's sends and its commit may take a send timeout each; the coordinator must not abort before
            p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(2 * timeoutMs));
        }
        return new ProducerSettings(p, servers, txId, sendTimeout, masking);
    }

    /** A masking that knows every secret value among the properties. */
    static Masking masking(Map<String, Object> properties) {
        Masking masking = new Masking();
        properties.forEach((key, value) -> {
            if (value != null && isSecret(key)) {
                String text = value instanceof Password pw ? pw.value() : value.toString();
                Matcher m = JAAS_SECRET.matcher(text);
                while (m.find()) {
                    masking.add(m.group(2));
                }
                masking.add(text);
            }
        });
        return masking;
    }

    /** True for the keys whose values are secrets: passwords, JAAS configuration, tokens, private keys. */
    static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("token")
                || k.contains("credential") || k.endsWith(".key");
    }

    private static String merge(List<String> problems, String property, String method, String fromBuilder,
                                String fromProperties) {
        if (fromBuilder != null && fromProperties != null && !fromBuilder.equals(fromProperties)) {
            problems.add(method + "(\"" + fromBuilder + "\") and the producer property " + property + "="
                    + fromProperties + " differ: set one of them");
            return fromBuilder;
        }
        return fromBuilder != null ? fromBuilder : fromProperties;
    }

    private static void require(List<String> problems, Map<String, Object> props, String key, List<String> allowed,
                                String why) {
        Object v = props.get(key);
        if (v != null && !allowed.contains(v.toString().strip().toLowerCase(Locale.ROOT))) {
            problems.add(key + "=" + v + " is not allowed: " + why + " (" + key + "=" + allowed.get(0) + ")");
        }
    }

    private static Long numberOr(List<String> problems, Map<String, Object> props, String key, Long fallback) {
        Object v = props.get(key);
        if (v == null) {
            return fallback;
        }
        Long n = number(v);
        if (n == null || n < 0) {
            problems.add(key + "=" + v + " is not a non-negative number");
        }
        return n;
    }

    private static Long number(Object v) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(v.toString().strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String text(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            list.forEach(o -> parts.add(String.valueOf(o)));
            return String.join(",", parts);
        }
        return v.toString();
    }
}
