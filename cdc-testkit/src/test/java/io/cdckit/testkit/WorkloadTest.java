package io.cdckit.testkit;

import io.cdckit.api.TableId;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The workload generator against a real PostgreSQL. */
@PostgresTest
class WorkloadTest {

    @Test
    void concurrentWorkersAndLongTransactionsLeaveExactlyTheCommittedRows(TestDatabase db) throws Exception {
        TableId table = new TableId("work", "concurrent");
        Workload.createTable(db::connect, table);
        int threads = 4;
        int perThread = 40;
        WorkloadResult r;
        boolean sawLaterCommitsWhileLongOpen = false;
        try (Workload.Running running = Workload.on(db::connect, table).threads(threads).transactionsPerThread(perThread)
                .maxStatementsPerTransaction(6).longTransactions(2).longTransactionHold(Duration.ofMillis(1500))
                .pauseBetweenTransactions(Duration.ofMillis(5)).seed(7).start()) {
            // while the long transactions are open, transactions that began after them commit
            while (!running.isDone()) {
                long workerRows = queryLong(db, "SELECT count(*) FROM " + table.quoted()
                        + " WHERE note IS NULL OR note NOT LIKE 'hot %' AND note NOT LIKE 'long transaction%'");
                long longRows = queryLong(db, "SELECT count(*) FROM " + table.quoted()
                        + " WHERE note LIKE 'long transaction%'");
                if (workerRows > 0 && longRows == 0) {
                    sawLaterCommitsWhileLongOpen = true;
                }
                Thread.sleep(20);
            }
            r = running.await();
        }
        assertThat(sawLaterCommitsWhileLongOpen).as("worker rows visible while the long transactions were open").isTrue();

        assertThat(r.transactionsCommitted() + r.transactionsRolledBack()).isEqualTo(1 + threads * perThread + 2);
        assertThat(r.transactionsRolledBack()).isEqualTo(threads * perThread / 10);
        assertThat(r.inserts()).isGreaterThan(r.deletes()).isGreaterThan(0);
        assertThat(r.updates()).isGreaterThan(0);
        assertThat(r.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(1500));

        assertThat(queryLong(db, "SELECT count(*) FROM " + table.quoted())).as(r.toString()).isEqualTo(r.netRows());
        // what the long transactions wrote is there
        assertThat(queryLong(db, "SELECT count(*) FROM " + table.quoted() + " WHERE note LIKE 'long transaction%'"))
                .isGreaterThan(0);
        // nothing of the rolled-back transactions is
        assertThat(r.rolledBackIds()).isNotEmpty();
        assertThat(queryLong(db, "SELECT count(*) FROM " + table.quoted() + " WHERE id = ANY (?)",
                (Object) r.rolledBackIds().toArray(new Long[0]))).isZero();
        assertThat(queryLong(db, "SELECT count(*) FROM " + table.quoted() + " WHERE note LIKE ?",
                Workload.ROLLED_BACK_NOTE + "%")).isZero();
        // the shared rows were updated by several workers
        assertThat(queryLong(db, "SELECT count(DISTINCT substring(note FROM 'worker ([0-9]+)')) FROM "
                + table.quoted() + " WHERE note LIKE 'hot, last by worker%'")).isGreaterThan(1);
        assertThat(queryLong(db, "SELECT count(*) FROM " + table.quoted()
                + " WHERE updated_at IS NULL OR account IS NULL OR amount IS NULL")).isZero();
    }

    @Test
    void aSecondRunOnTheSameTableWritesAboveTheFirst(TestDatabase db) throws Exception {
        TableId table = new TableId("work", "twice");
        Workload.createTable(db::connect, table);
        WorkloadResult first = Workload.on(db::connect, table).threads(2).transactionsPerThread(20).seed(1).run();
        WorkloadResult second = Workload.on(db::connect, table).threads(2).transactionsPerThread(20).seed(1).run();
        assertThat(queryLong(db, "SELECT count(*) FROM " + table.quoted()))
                .isEqualTo(first.netRows() + second.netRows());
    }

    @Test
    void theSameSeedGivesTheSameContentSingleThreaded(TestDatabase db) throws Exception {
        List<String> checksums = new ArrayList<>();
        List<WorkloadResult> results = new ArrayList<>();
        long[] seeds = {42, 42, 43};
        for (int i = 0; i < seeds.length; i++) {
            TableId table = new TableId("work", "seeded_" + i);
            Workload.createTable(db::connect, table);
            results.add(Workload.on(db::connect, table).threads(1).transactionsPerThread(60)
                    .maxStatementsPerTransaction(8).longTransactions(1).longTransactionHold(Duration.ofMillis(300))
                    .seed(seeds[i]).run());
            checksums.add(queryString(db, "SELECT md5(string_agg((id, account, amount, note)::text, E'\\n'"
                    + " ORDER BY id)) FROM " + table.quoted()));
        }
        assertThat(checksums.get(1)).isEqualTo(checksums.get(0));
        assertThat(results.get(1)).usingRecursiveComparison().ignoringFields("duration").isEqualTo(results.get(0));
        assertThat(checksums.get(2)).as("another seed").isNotEqualTo(checksums.get(0));
    }

    @Test
    void withSeveralThreadsOnlyTheHotRowsNotesDependOnTheInterleaving(TestDatabase db) throws Exception {
        List<String> checksums = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            TableId table = new TableId("work", "seeded_threads_" + i);
            Workload.createTable(db::connect, table);
            Workload.on(db::connect, table).threads(4).transactionsPerThread(30).longTransactions(1)
                    .longTransactionHold(Duration.ofMillis(200)).seed(5).run();
            checksums.add(queryString(db, "SELECT md5(string_agg((id, account, amount,"
                    + " CASE WHEN note LIKE 'hot%' THEN NULL ELSE note END)::text, E'\\n' ORDER BY id)) FROM "
                    + table.quoted()));
        }
        assertThat(checksums.get(1)).isEqualTo(checksums.get(0));
    }

    @Test
    void aRunThatTakesTooLongFailsClearly(TestDatabase db) {
        TableId table = new TableId("work", "slow");
        Workload.createTable(db::connect, table);
        long started = System.nanoTime();
        assertThatThrownBy(() -> Workload.on(db::connect, table).threads(1).transactionsPerThread(5)
                .longTransactions(1).longTransactionHold(Duration.ofSeconds(20)).timeout(Duration.ofMillis(700)).run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("did not finish within PT0.7S");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void refusesNonsense() {
        Workload w = Workload.on(() -> {
            throw new SQLException("no database here");
        }, new TableId("work", "none"));
        assertThatThrownBy(() -> w.threads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.mix(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(w::run).isInstanceOf(IllegalStateException.class).hasMessageContaining("no database here");
    }

    private static long queryLong(TestDatabase db, String sql, Object... params) throws SQLException {
        return Long.parseLong(queryString(db, sql, params));
    }

    private static String queryString(TestDatabase db, String sql, Object... params) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] instanceof Long[] ids) {
                    ps.setArray(i + 1, c.createArrayOf("bigint", ids));
                } else {
                    ps.setObject(i + 1, params[i]);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
