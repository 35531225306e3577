package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.jdbc.SourceConnections;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The parts of the chunked snapshot that need no server: how a chunk's snapshot judges the
 * transactions the WAL names, keys compared as the database compares them, what the reader
 * remembers of the transactions it delivered, and what reaches Debezium.
 */
class WatermarkSnapshotTest {

    @Test
    void aSnapshotSeesFinishedTransactionsAndNotRunningOrLaterOnes() {
        WatermarkSnapshot.XidSnapshot s = WatermarkSnapshot.XidSnapshot.parse("100:110:102,105");
        assertThat(s.visible(99)).isTrue();
        assertThat(s.visible(101)).isTrue();
        assertThat(s.visible(102)).as("running").isFalse();
        assertThat(s.visible(105)).as("running").isFalse();
        assertThat(s.visible(109)).isTrue();
        assertThat(s.visible(110)).as("from xmax on: not yet").isFalse();
        assertThat(s.visible(4000)).isFalse();
        assertThat(s.invisible(new long[] {99, 102, 109, 110})).containsExactly(102L, 110L);
        assertThat(WatermarkSnapshot.XidSnapshot.parse("7:7:").xip()).isEmpty();
    }

    @Test
    void theWalsThirtyTwoBitTransactionIdsAreReadInTheSnapshotsEpoch() {
        long epoch = 3L << 32;
        // xmax just past a wraparound: an id just below 2^32 belongs to the previous epoch and is done
        WatermarkSnapshot.XidSnapshot s = WatermarkSnapshot.XidSnapshot.parse((epoch + 5) + ":" + (epoch + 20) + ":"
                + (epoch + 7));
        assertThat(s.visible(0xFFFF_FFF0L)).isTrue();
        assertThat(s.visible(7)).isFalse();
        assertThat(s.visible(6)).isTrue();
        assertThat(s.visible(21)).isFalse();
        // xmax just before one: a small id belongs to the next epoch and is not done
        WatermarkSnapshot.XidSnapshot t = WatermarkSnapshot.XidSnapshot.parse((epoch + 0xFFFF_FF00L) + ":"
                + (epoch + 0xFFFF_FFF0L) + ":");
        assertThat(t.visible(0xFFFF_FF80L)).isTrue();
        assertThat(t.visible(3)).isFalse();
    }

    @Test
    void keysCompareAsTheDatabaseComparesThem() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("k", new byte[] {1, 2});
        a.put("n", new BigDecimal("1.50"));
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("n", new BigDecimal("1.5"));
        b.put("k", new byte[] {1, 2});
        assertThat(WatermarkSnapshot.normalizedKey(a)).isEqualTo(WatermarkSnapshot.normalizedKey(b));
        b.put("k", new byte[] {1, 3});
        assertThat(WatermarkSnapshot.normalizedKey(a)).isNotEqualTo(WatermarkSnapshot.normalizedKey(b));
        assertThat(WatermarkSnapshot.normalizedKey(Map.of("z", new BigDecimal("0.000"))))
                .isEqualTo(WatermarkSnapshot.normalizedKey(Map.of("z", BigDecimal.ZERO)));
        assertThat(WatermarkSnapshot.normalizedKey(Map.of("t", "Straße")))
                .isNotEqualTo(WatermarkSnapshot.normalizedKey(Map.of("t", "strasse")));
    }

    @Test
    void theDeliveredTransactionsAreRememberedUntilASnapshotSeesThem() {
        WatermarkSnapshot.RecentTransactions recent = new WatermarkSnapshot.RecentTransactions(4);
        for (long x : new long[] {10, 10, 11, 12, 12, 13}) {
            recent.add(x);
        }
        assertThat(recent.toArray()).containsExactly(10, 11, 12, 13);
        recent.add(14);
        assertThat(recent.toArray()).as("the oldest goes beyond the capacity").containsExactly(11, 12, 13, 14);
        recent.forgetVisible(WatermarkSnapshot.XidSnapshot.parse("12:14:12"));
        assertThat(recent.toArray()).as("kept: running or not yet started in that snapshot")
                .containsExactly(12, 14);
        recent.add(14);
        assertThat(recent.size()).isEqualTo(2);
    }

    @Test
    void onlyDebeziumsOwnOffsetFieldsSeedTheEngine() {
        Map<String, Object> position = new LinkedHashMap<>();
        position.put("lsn", 42L);
        position.put("txId", 7L);
        position.put("snapshot.tables", "[\"public.t\"]");
        position.put("snapshot.after", "[\"3\"]");
        position.put("tables", "[\"public.t\"]");
        assertThat(SeededOffsetBackingStore.debeziumOffset(position)).containsExactly(Map.entry("lsn", 42L),
                Map.entry("txId", 7L));
        assertThat(SeededOffsetBackingStore.debeziumOffset(Map.of("tables", "[]", "snapshot.rows", 3L))).isNull();
    }

    @Test
    void debeziumStreamsOnlyAndLetsTheWatermarksThroughWhateverIsPassedThrough() throws Exception {
        assertThat(properties(Map.of()).getProperty("snapshot.mode")).isEqualTo("no_data");
        assertThat(properties(Map.of()).getProperty("message.prefix.include.list"))
                .isEqualTo("cdckit-heartbeat,cdckit-watermark");
        assertThat(properties(Map.of("cdc.log.heartbeat.interval", "0")).getProperty("message.prefix.include.list"))
                .isEqualTo("cdckit-watermark");
        assertThat(properties(Map.of("cdc.log.debezium.message.prefix.include.list", "audit"))
                .getProperty("message.prefix.include.list")).isEqualTo("audit,cdckit-watermark");
    }

    private static Properties properties(Map<String, String> extra) throws Exception {
        Properties p = new Properties();
        p.setProperty("cdc.mode", "log");
        p.setProperty("cdc.jdbc.url", "jdbc:postgresql://localhost:5432/shop");
        p.setProperty("cdc.tables", "public.orders");
        extra.forEach(p::setProperty);
        CdcConfig config = CdcConfig.from(p);
        try (SourceConnections connections = SourceConnections.create(config)) {
            return EngineProperties.of(config, connections, "s", "p", false);
        }
    }
}
