package io.cdckit.logbased;

import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Debezium's offset storage for cdckit: in memory, seeded at start with the position the
 * library's {@link io.cdckit.api.OffsetStore} committed, so that store stays the single source of
 * truth. Internal: Debezium instantiates it by class name, which is why it is public.
 */
public final class SeededOffsetBackingStore extends MemoryOffsetBackingStore {

    /** The seed of the engine that the current thread runs; set just before {@code run()}. */
    private static final ThreadLocal<Seed> SEED = new ThreadLocal<>();

    /** What to put into the store: the engine's name, its source partition and the offset. */
    record Seed(String engineName, Map<String, ?> partition, Map<String, ?> offset) {
    }

    /**
     * The part of a position that is Debezium's source offset: without the fields cdckit adds to
     * every position (the chunked snapshot's {@code snapshot.*} progress and the captured
     * {@code tables}), which Debezium neither knows nor needs; null when nothing is left.
     */
    static Map<String, Object> debeziumOffset(Map<String, Object> position) {
        Map<String, Object> offset = new LinkedHashMap<>();
        position.forEach((k, v) -> {
            if (!k.startsWith("snapshot.") && !k.equals("tables")) {
                offset.put(k, v);
            }
        });
        return offset.isEmpty() ? null : offset;
    }

    /** Creates an empty store; Debezium calls this. */
    public SeededOffsetBackingStore() {
    }

    /** Makes {@code seed} (or none, when null) the content of the store the current thread creates next. */
    static void seedForCurrentThread(Seed seed) {
        if (seed == null) {
            SEED.remove();
        } else {
            SEED.set(seed);
        }
    }

    @Override
    public synchronized void start() {
        super.start();
        Seed seed = SEED.get();
        SEED.remove();
        if (seed == null || seed.offset() == null) {
            return;
        }
        try (JsonConverter keys = new JsonConverter(); JsonConverter values = new JsonConverter()) {
            Map<String, String> cfg = Map.of(JsonConverterConfig.SCHEMAS_ENABLE_CONFIG, "false");
            keys.configure(cfg, true);
            values.configure(cfg, false);
            byte[] key = keys.fromConnectData(seed.engineName(), null,
                    Arrays.asList(seed.engineName(), seed.partition()));
            byte[] value = values.fromConnectData(seed.engineName(), null, seed.offset());
            data.put(ByteBuffer.wrap(key), ByteBuffer.wrap(value));
        }
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }
}
