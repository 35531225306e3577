package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.Op;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A transaction of 2 000 000 rows captured by the native engine in a JVM whose heap is capped at
 * 256 MB (the build runs this class alone with {@code -Xmx256m}): the engine streams it through
 * its bounded queue in batches instead of holding it, every row arrives once and in order.
 */
@PostgresTest
class LargeTransactionTest {

    private static final int ROWS = 2_000_000;

    @Test
    void aTransactionOfTwoMillionRowsStreamsWithinTheHeapCap(TestDatabase db) {
        assertThat(Runtime.getRuntime().maxMemory()).as("heap cap of this run").isLessThanOrEqualTo(256L << 20);
        db.execute("CREATE TABLE public.bulk (id bigint PRIMARY KEY, payload text NOT NULL, "
                + "at timestamptz NOT NULL DEFAULT now())");
        AtomicLong received = new AtomicLong();
        AtomicLong lastId = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        try (TestSources sources = new TestSources(db)) {
            CdcConfig config = sources.config("bulk", Map.of("cdc.mode", "log", "cdc.log.engine", "pgoutput",
                    "cdc.snapshot.mode", "never", "cdc.batch.max-size", "2048"), new TableId("public", "bulk"));
            ChangeSource source = sources.start(config, OffsetStores.memory(), batch -> {
                for (ChangeEvent e : batch) {
                    long id = (Long) e.key().get("id");
                    if (e.op() != Op.CREATE || id != lastId.get() + 1) {
                        outOfOrder.incrementAndGet();
                    }
                    lastId.set(id);
                }
                received.addAndGet(batch.size());
            });
            db.execute("INSERT INTO public.bulk (id, payload) SELECT g, repeat('x', 100) || g FROM generate_series(1, "
                    + ROWS + ") g");
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> received.get() >= ROWS || source.status().failure() != null);
            assertThat(source.status().failure()).as("source failure").isNull();
        }
        assertThat(received.get()).as("rows received").isEqualTo(ROWS);
        assertThat(outOfOrder.get()).as("rows out of order or not inserts").isZero();
        long peak = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        assertThat(peak).as("peak heap used").isLessThan(256L << 20);
    }
}
