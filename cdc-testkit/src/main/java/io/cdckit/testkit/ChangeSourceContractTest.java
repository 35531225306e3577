package io.cdckit.testkit;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.Op;
import io.cdckit.api.OffsetStore;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The behaviour every capture strategy must show, run against a real PostgreSQL.
 *
 * <p>A strategy module extends this class, says how to configure its source
 * ({@link #strategyProperties()}, at least {@code cdc.mode}) and declares its
 * {@link #capabilities()}. The contract then checks that inserts, updates and deletes arrive as
 * c/u/d with the right key, before and after; that every type of the type table arrives as the
 * same typed value; that a restarted source resumes and delivers what changed while it was
 * stopped; that a failing handler gets the batch again and nothing is lost; that tables in two
 * schemas and quoted, mixed-case and unicode identifiers work; that nothing is invented
 * (rolled-back work, tables not captured); and that a concurrent workload with long transactions
 * committing after later ones, applied to a copy by the {@link ReplicaVerifier}, leaves the copy
 * equal to the source. Each test uses its own tables in the class's database.
 */
@PostgresTest
public abstract class ChangeSourceContractTest extends TransactionContract {


    /**
     * Sessions with this application name are spared when the contract kills the capture's
     * sessions: test-only strategies use it for a session that stands for the database's durable
     * log (which a real server does not lose when a session dies).
     */
    public static final String DURABLE_LOG_APPLICATION_NAME = "cdckit_test_durable_log";

    @Test
    void insertUpdateDeleteArriveWithKeyBeforeAndAfter() {
        TableId t = table("crud");
        createStandardTable(t);
        CapturedEvents captured = new CapturedEvents();
        start(config("crud", t), OffsetStores.memory(), captured);

        db.execute("INSERT INTO " + t.quoted() + " (id, name, qty) VALUES (1, 'apple', 5)");
        db.execute("UPDATE " + t.quoted() + " SET qty = 6, updated_at = clock_timestamp() WHERE id = 1");
        db.execute("UPDATE " + t.quoted() + " SET qty = 7, updated_at = clock_timestamp() WHERE id = 1");
        db.execute("DELETE FROM " + t.quoted() + " WHERE id = 1");
        db.execute("INSERT INTO " + t.quoted() + " (id, name, qty) VALUES (2, 'pear', 1)");

        captured.awaitAtLeast(1, e -> e.key().get("id").equals(2), waitTime());
        settle();
        List<ChangeEvent> events = captured.events();
        Capabilities can = capabilities();

        List<String> expectedOps = new ArrayList<>();
        expectedOps.add("c:1");
        if (can.everyIntermediateUpdate()) {
            expectedOps.add("u:1");
            expectedOps.add("u:1");
        }
        if (can.deletes()) {
            expectedOps.add("d:1");
        }
        expectedOps.add("c:2");
        if (can.everyIntermediateUpdate() && can.deletes()) {
            assertThat(events).extracting(e -> e.op().code() + ":" + e.key().get("id"))
                    .as("exactly these events, in commit order").containsExactlyElementsOf(expectedOps);
        } else {
            // a strategy that collapses updates may miss row 1 entirely (inserted and deleted
            // between two polls), but what it reports must be true and in order
            assertThat(events).extracting(e -> e.key().get("id")).as("no event for another row")
                    .allMatch(id -> id.equals(1) || id.equals(2));
            assertThat(events.stream().filter(e -> e.key().get("id").equals(2)).map(e -> e.op().code()))
                    .as("row 2 appears once, as an insert").containsExactly("c");
            List<String> row1 = events.stream().filter(e -> e.key().get("id").equals(1))
                    .map(e -> e.op().code()).toList();
            assertThat(String.join("", row1)).as("events of row 1 in commit order").matches("c?u*d?");
            if (can.deletes() && !row1.isEmpty()) {
                assertThat(row1.get(row1.size() - 1)).as("row 1 was deleted last").isEqualTo("d");
            }
        }
        for (ChangeEvent e : events) {
            assertThat(e.table()).isEqualTo(t);
            assertThat(e.source().schema()).isEqualTo("public");
            assertThat(e.source().table()).isEqualTo(t.table());
            assertThat(e.key()).containsOnlyKeys("id");
            assertThat(e.position()).isNotNull();
            switch (e.op()) {
                case CREATE -> {
                    assertThat(e.before()).isNull();
                    assertThat(e.after()).containsEntry("id", e.key().get("id"));
                }
                case UPDATE -> {
                    assertThat(e.after()).containsEntry("id", 1);
                    if (can.beforeImage()) {
                        assertThat(e.before()).as("before image of an update").containsEntry("id", 1)
                                .containsEntry("name", "apple");
                    }
                }
                case DELETE -> {
                    assertThat(e.after()).isNull();
                    assertThat(e.key()).containsEntry("id", 1);
                    if (can.beforeImage()) {
                        assertColumns(row("id", 1, "name", "apple", "qty", 7), e.before(), "before of delete");
                    }
                }
                default -> throw new AssertionError("unexpected op " + e.op() + " in " + e);
            }
        }
        if (can.everyIntermediateUpdate()) {
            assertColumns(row("id", 1, "name", "apple", "qty", 5), events.get(0).after(), "after of insert");
            assertColumns(row("id", 1, "name", "apple", "qty", 6), events.get(1).after(), "after of 1st update");
            assertColumns(row("id", 1, "name", "apple", "qty", 7), events.get(2).after(), "after of 2nd update");
            if (can.beforeImage()) {
                assertColumns(row("id", 1, "qty", 5), events.get(1).before(), "before of 1st update");
                assertColumns(row("id", 1, "qty", 6), events.get(2).before(), "before of 2nd update");
            }
        }
        assertColumns(row("id", 2, "name", "pear", "qty", 1),
                events.stream().filter(e -> e.key().get("id").equals(2)).findFirst().orElseThrow().after(),
                "insert 2");
    }

    @Test
    void everyTypeArrivesAsTheSameTypedValue() throws SQLException {
        TableId t = table("types");
        db.execute("DO $$ BEGIN CREATE TYPE contract_mood AS ENUM ('sad', 'ok', 'happy'); "
                + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, " + TypeMatrix.columnDefinitions()
                + ", updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        CapturedEvents captured = new CapturedEvents();
        start(config("types", t), OffsetStores.memory(), captured);

        List<Map<String, Object>> rows = TypeMatrix.rows();
        try (Connection c = db.connect()) {
            for (int i = 0; i < rows.size(); i++) {
                TypeMatrix.insert(c, t, i + 1, rows.get(i));
            }
        }
        List<ChangeEvent> events = captured.awaitAtLeast(rows.size(), waitTime());
        settle();
        assertThat(captured.events()).hasSize(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            ChangeEvent e = events.get(i);
            assertThat(e.op()).isEqualTo(Op.CREATE);
            assertThat(e.key()).containsEntry("id", i + 1);
            assertColumns(rows.get(i), e.after(), "row " + (i + 1) + " (" + TypeMatrix.describe(i) + ")");
        }
        if (capabilities().everyIntermediateUpdate() && capabilities().beforeImage()) {
            try (Connection c = db.connect()) {
                TypeMatrix.update(c, t, 1, rows.get(2));
            }
            ChangeEvent u = captured.awaitAtLeast(1, e -> e.op() == Op.UPDATE, waitTime()).get(0);
            assertColumns(rows.get(0), u.before(), "before image of the typed update");
            assertColumns(rows.get(2), u.after(), "after image of the typed update");
        }
    }

    @Test
    void restartResumesAndDeliversChangesMadeWhileStopped() {
        TableId t = table("restart");
        createStandardTable(t);
        OffsetStore offsets = OffsetStores.memory();
        CdcConfig cfg = config("restart", t);

        CapturedEvents first = new CapturedEvents();
        ChangeSource s1 = start(cfg, offsets, first);
        for (int i = 1; i <= 3; i++) {
            db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (" + i + ", 'before stop')");
        }
        first.awaitAtLeast(3, waitTime());
        s1.close();
        assertThat(first.events()).extracting(e -> e.key().get("id")).containsExactly(1, 2, 3);

        for (int i = 4; i <= 6; i++) {
            db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (" + i + ", 'while stopped')");
        }

        CapturedEvents second = new CapturedEvents();
        start(cfg, offsets, second);
        db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (7, 'after restart')");
        second.awaitAtLeast(1, e -> e.key().get("id").equals(7), waitTime());
        settle();
        assertThat(second.events()).as("resumes after the committed position: nothing lost, nothing repeated")
                .extracting(e -> e.op().code() + ":" + e.key().get("id"))
                .containsExactly("c:4", "c:5", "c:6", "c:7");
    }

    @Test
    void failingHandlerGetsTheBatchAgainAndNothingIsLost() {
        TableId t = table("retry");
        createStandardTable(t);
        AtomicInteger calls = new AtomicInteger();
        List<List<Object>> offered = new ArrayList<>();
        CapturedEvents processed = new CapturedEvents();
        ChangeHandler flaky = batch -> {
            synchronized (offered) {
                offered.add(batch.stream().map(e -> e.key().get("id")).toList());
            }
            if (calls.incrementAndGet() <= 2) {
                throw new IllegalStateException("handler not ready yet");
            }
            processed.handle(batch);
        };
        ChangeSource source = start(config("retry", t), OffsetStores.memory(), flaky);
        processed.watching(source);
        db.execute("INSERT INTO " + t.quoted() + " (id, name) SELECT g, 'r' || g FROM generate_series(1, 5) g");
        processed.awaitAtLeast(5, waitTime());
        for (int i = 6; i <= 8; i++) {
            db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (" + i + ", 'later')");
        }
        processed.awaitAtLeast(8, waitTime());
        settle();
        assertThat(processed.events()).extracting(e -> e.key().get("id")).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        synchronized (offered) {
            assertThat(offered.size()).isGreaterThanOrEqualTo(3);
            assertThat(offered.get(1)).as("the failed batch is offered again").isEqualTo(offered.get(0));
            assertThat(offered.get(2)).isEqualTo(offered.get(0));
        }
        assertThat(source.metrics().handlerFailures()).isEqualTo(2);
        assertThat(source.metrics().retries()).isEqualTo(2);
    }

    @Test
    void tablesInTwoSchemasWithQuotedMixedCaseAndUnicodeIdentifiers() {
        String schemaA = "Sales Δ " + testName.length();
        String schemaB = "archive_" + testName.length();
        TableId a = new TableId(schemaA, quotedIdentifierTableName());
        TableId b = new TableId(schemaB, quotedIdentifierTableName());
        for (TableId t : List.of(a, b)) {
            db.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(t.schema()));
            db.execute("CREATE TABLE " + t.quoted() + " (\"Id\" int PRIMARY KEY, \"Mixed Case\" text, "
                    + "\"quote\"\"col\" int, \"größe\" text,"
                    + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        }
        CapturedEvents captured = new CapturedEvents();
        start(config("idents", a, b), OffsetStores.memory(), captured);
        try (Connection c = db.connect()) {
            for (TableId t : List.of(a, b)) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t.quoted()
                        + " (\"Id\", \"Mixed Case\", \"quote\"\"col\", \"größe\") VALUES (?, ?, ?, ?)")) {
                    ps.setInt(1, 1);
                    ps.setString(2, "in " + t.schema());
                    ps.setInt(3, 42);
                    ps.setString(4, "groß");
                    ps.executeUpdate();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        List<ChangeEvent> events = captured.awaitAtLeast(2, waitTime());
        settle();
        assertThat(captured.events()).hasSize(2);
        assertThat(events).extracting(ChangeEvent::table).containsExactlyInAnyOrder(a, b);
        for (ChangeEvent e : events) {
            assertThat(e.key()).isEqualTo(Map.of("Id", 1));
            assertColumns(row("Id", 1, "Mixed Case", "in " + e.table().schema(), "quote\"col", 42, "größe", "groß"),
                    e.after(), "row of " + e.table());
        }
    }

    @Test
    void nothingIsInventedForRolledBackWorkOrTablesNotCaptured() throws SQLException {
        TableId captured = table("captured");
        TableId other = table("other");
        createStandardTable(captured);
        createStandardTable(other);
        CapturedEvents events = new CapturedEvents();
        start(config("invent", captured), OffsetStores.memory(), events);

        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (var st = c.createStatement()) {
                st.executeUpdate("INSERT INTO " + captured.quoted() + " (id, name) VALUES (1, 'rolled back')");
            }
            c.rollback();
        }
        db.execute("INSERT INTO " + other.quoted() + " (id, name) VALUES (1, 'not captured')");
        db.execute("INSERT INTO " + captured.quoted() + " (id, name) VALUES (2, 'committed')");
        events.awaitAtLeast(1, waitTime());
        settle();
        assertThat(events.events()).extracting(e -> e.table() + ":" + e.op().code() + ":" + e.key().get("id"))
                .containsExactly(captured + ":c:2");
    }

    @Test
    void truncateArrivesAsOpT() {
        assumeThat(capabilities().truncate()).as("strategy declares it sees TRUNCATE").isTrue();
        TableId t = table("trunc");
        createStandardTable(t);
        CapturedEvents captured = new CapturedEvents();
        start(config("trunc", t), OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (1, 'x')");
        db.execute("TRUNCATE " + t.quoted());
        db.execute("INSERT INTO " + t.quoted() + " (id, name) VALUES (2, 'y')");
        captured.awaitAtLeast(3, waitTime());
        settle();
        assertThat(captured.events()).extracting(e -> e.op().code()).containsExactly("c", "t", "c");
        ChangeEvent truncate = captured.events().get(1);
        assertThat(truncate.table()).isEqualTo(t);
        assertThat(truncate.before()).isNull();
        assertThat(truncate.after()).isNull();
    }

    @Test
    void concurrentWorkloadWithLongTransactionsReplicatesExactly() {
        assumeThat(capabilities().deletes()).as("strategy declares it sees deletes").isTrue();
        TableId t = table("workload");
        Workload.createTable(db::connect, t);
        try (ReplicaVerifier replica = ReplicaVerifier.create(db::connect, t, "replica_" + testName.length())) {
            start(config("workload", t), OffsetStores.memory(), replica::apply);
            WorkloadResult result = Workload.on(db::connect, t).threads(3).transactionsPerThread(40)
                    .longTransactions(2).longTransactionHold(Duration.ofMillis(800)).seed(7).run();
            assertThat(result.transactionsCommitted()).isPositive();
            org.awaitility.Awaitility.await().atMost(waitTime()).pollInterval(Duration.ofMillis(100))
                    .until(() -> replica.verify().matches());
            settle();
            Verification v = replica.verify();
            assertThat(v.matches()).as(v.describe()).isTrue();
            assertThat(v.sourceRows()).isEqualTo(result.netRows());
        }
    }

    /**
     * The capture's sessions are killed before it delivered anything, and rows are written while
     * it waits to reconnect: reopened without a committed position, it must resume from where it
     * started, not start afresh after those rows.
     */
    @Test
    void aReconnectBeforeTheFirstCommitSkipsNothing() {
        TableId t = table("early_terminate");
        createStandardTable(t);
        CapturedEvents captured = new CapturedEvents();
        CdcConfig cfg = config("early", t).toBuilder().set("cdc.reconnect.initial-delay", "1s")
                .set("cdc.reconnect.max-delay", "1s").build();
        ChangeSource source = start(cfg, OffsetStores.memory(), captured);
        // a strategy may still be opening its sessions: kill them until the source notices
        org.awaitility.Awaitility.await().atMost(waitTime()).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (source.status().state() == io.cdckit.api.SourceStatus.State.RECONNECTING
                    || source.metrics().reconnects() > 0) {
                return true;
            }
            db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND application_name <> '" + DURABLE_LOG_APPLICATION_NAME + "'");
            return false;
        });
        db.execute("INSERT INTO " + t.quoted() + " (id, name) SELECT g, 'while reconnecting' FROM generate_series(1, 10) g");
        captured.awaitAtLeast(10, e -> e.op() == Op.CREATE, waitTime());
        org.awaitility.Awaitility.await().atMost(waitTime()).until(() -> source.metrics().reconnects() > 0);
        assertThat(captured.events(e -> e.op() == Op.CREATE).stream().map(e -> e.key().get("id")).distinct())
                .as("every insert arrived").containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    }

    @Test
    void terminatedConnectionsAreReopenedWithNothingLost() throws Exception {
        TableId t = table("terminate");
        createStandardTable(t);
        CapturedEvents captured = new CapturedEvents();
        CdcConfig cfg = config("terminate", t).toBuilder().set("cdc.reconnect.initial-delay", "50ms")
                        .set("cdc.reconnect.max-delay", "500ms").build();
        ChangeSource source = start(cfg, OffsetStores.memory(), captured);
        db.execute("INSERT INTO " + t.quoted() + " (id, name) SELECT g, 'before' FROM generate_series(1, 20) g");
        captured.awaitAtLeast(20, waitTime());

        // the database kills every session of the capture, as a DBA or a failover would
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND application_name <> '" + DURABLE_LOG_APPLICATION_NAME + "'");
        db.execute("INSERT INTO " + t.quoted() + " (id, name) SELECT g, 'after' FROM generate_series(21, 40) g");
        db.execute("UPDATE " + t.quoted() + " SET qty = 1, updated_at = clock_timestamp() WHERE id = 5");
        captured.awaitAtLeast(1, e -> e.key().get("id").equals(40), waitTime());
        org.awaitility.Awaitility.await().atMost(waitTime())
                .until(() -> captured.events(e -> e.key().get("id").equals(5)).stream()
                        .anyMatch(e -> Integer.valueOf(1).equals(e.after().get("qty"))));
        settle();

        assertThat(source.status().state()).isEqualTo(io.cdckit.api.SourceStatus.State.RUNNING);
        assertThat(source.metrics().reconnects()).as("the source noticed and reconnected").isPositive();
        List<Object> ids = captured.events(e -> e.op() == Op.CREATE).stream().map(e -> e.key().get("id"))
                .distinct().toList();
        List<Object> expected = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            expected.add(i);
        }
        assertThat(ids).as("every insert arrived (duplicates of a batch in flight are allowed)")
                .containsExactlyElementsOf(expected);
    }
}
