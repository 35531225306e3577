package io.cdckit.timestamp;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.Op;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Keyset pagination on (timestamp, key): equal timestamps across batch limits, restarts between pages. */
@PostgresTest
class SameTimestampPagingTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int ROWS = 10_000;
    private RunningSources sources;

    @AfterEach
    void close() {
        if (sources != null) {
            sources.close();
        }
    }

    @Test
    void tenThousandRowsWithOneTimestampArriveExactlyOnceAcrossSmallBatches(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "same_ts");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, payload text,"
                + " updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE INDEX ON " + t.quoted() + " (updated_at, id)");
        CapturedEvents captured = new CapturedEvents();
        sources.start(sources.config("same", Map.of("cdc.batch.max-size", "333"), t), OffsetStores.memory(),
                captured);
        // one statement, one now(): every row has the same timestamp; ids in shuffled order
        db.execute("INSERT INTO " + t.quoted() + " (id, payload) SELECT g, 'p' || g FROM generate_series(1, " + ROWS
                + ") g ORDER BY md5(g::text)");
        assertThat(db.queryForLong("SELECT count(DISTINCT updated_at) FROM " + t.quoted())).isEqualTo(1);

        captured.awaitAtLeast(ROWS, WAIT);
        Thread.sleep(300);
        List<ChangeEvent> events = captured.events();
        assertThat(events).hasSize(ROWS);
        Set<Object> ids = new HashSet<>();
        for (ChangeEvent e : events) {
            assertThat(e.op()).isEqualTo(Op.CREATE);
            assertThat(ids.add(e.key().get("id"))).as("id %s once", e.key().get("id")).isTrue();
        }
        assertThat(ids).hasSize(ROWS);
        assertThat(events).extracting(e -> (Integer) e.key().get("id")).as("in key order within one timestamp")
                .isSorted();
    }

    @Test
    void aRestartBetweenPagesOfEqualTimestampsResumesExactlyAfterTheCommittedRow(TestDatabase db) throws Exception {
        sources = new RunningSources(db);
        TableId t = new TableId("public", "same_ts_restart");
        db.execute("CREATE TABLE " + t.quoted() + " (k text, n int, updated_at timestamptz NOT NULL DEFAULT now(),"
                + " PRIMARY KEY (k, n))");
        OffsetStore offsets = OffsetStores.memory();
        var config = sources.config("restart", Map.of("cdc.batch.max-size", "7", "cdc.errors.max-retries", "0"), t);
        CapturedEvents first = new CapturedEvents();
        // the handler gives up after 21 events: the source stops between two pages of one timestamp
        var s1 = sources.start(config, offsets, batch -> {
            if (first.events().size() >= 21) {
                throw new IllegalStateException("stop here");
            }
            first.handle(batch);
        });
        db.execute("INSERT INTO " + t.quoted() + " (k, n) SELECT chr(97 + g % 5), g FROM generate_series(1, 100) g");
        org.awaitility.Awaitility.await().atMost(WAIT)
                .until(() -> s1.status().state() == io.cdckit.api.SourceStatus.State.FAILED);
        s1.close();
        int delivered = first.events().size();
        assertThat(delivered).as("stopped between pages").isEqualTo(21);

        CapturedEvents second = new CapturedEvents();
        sources.start(config, offsets, second);
        second.awaitAtLeast(100 - delivered, WAIT);
        Thread.sleep(300);
        Set<String> all = new HashSet<>();
        for (ChangeEvent e : first.events()) {
            all.add(e.key().get("k") + "/" + e.key().get("n"));
        }
        for (ChangeEvent e : second.events()) {
            assertThat(all.add(e.key().get("k") + "/" + e.key().get("n"))).as("no row twice: %s", e.key()).isTrue();
            assertThat(e.op()).isEqualTo(Op.CREATE);
        }
        assertThat(all).hasSize(100);
    }
}
