package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The reader's "reading" lock against writers that hold it shared (they are about to notify): the
 * reader queues for it instead of only trying, so that under many writers it still gets it and
 * they stop notifying; and the installed triggers' side of the locks.
 */
@PostgresTest
class ReaderPresenceTest {

    private static final String SCHEMA = "cdc_presence";

    @Test
    void theReaderQueuesForItsLockAndWritersStopNotifyingWhileItWaits(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE public.presence_busy (id int PRIMARY KEY)");
        long oid = db.queryForLong("SELECT 'public.presence_busy'::regclass::oid::bigint");
        try (Connection reader = db.connect(); Connection inFlight = db.connect(); Connection later = db.connect()) {
            ReaderPresence presence = ReaderPresence.of(reader, SCHEMA, List.of(oid));
            inFlight.setAutoCommit(false);
            assertThat(tryShared(inFlight, oid)).as("a writer takes the reading lock shared").isTrue();
            int readerPid = pid(reader);

            CompletableFuture<Void> reading = readingInBackground(presence, reader);
            awaitQueued(db, readerPid);
            later.setAutoCommit(false);
            assertThat(tryShared(later, oid)).as("a writer while the reader waits: no NOTIFY").isFalse();
            later.rollback();

            inFlight.commit();
            reading.get(10, TimeUnit.SECONDS);
            assertThat(heldExclusively(db, readerPid)).isEqualTo(1);
            assertThat(tryShared(later, oid)).as("a writer while the reader reads: no NOTIFY").isFalse();
            later.rollback();
        }
    }

    @Test
    void aLockHeldByALongTransactionIsWaitedForBrieflyThenOnlyTriedForASecond(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE public.presence_long (id int PRIMARY KEY)");
        long oid = db.queryForLong("SELECT 'public.presence_long'::regclass::oid::bigint");
        try (Connection reader = db.connect(); Connection longTx = db.connect()) {
            ReaderPresence presence = ReaderPresence.of(reader, SCHEMA, List.of(oid));
            longTx.setAutoCommit(false);
            assertThat(tryShared(longTx, oid)).isTrue();
            int readerPid = pid(reader);

            long started = System.nanoTime();
            presence.reading(reader, Duration.ofMillis(300));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("waited for the lock")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(250)).isLessThan(Duration.ofSeconds(5));
            assertThat(heldExclusively(db, readerPid)).isZero();
            assertThat(reader.getAutoCommit()).isTrue();
            assertThat(show(reader, "lock_timeout")).isEqualTo("0");

            started = System.nanoTime();
            presence.reading(reader, Duration.ofMillis(300));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("only tried, right after a wait ran out")
                    .isLessThan(Duration.ofMillis(250));

            longTx.commit();
            presence.reading(reader, Duration.ofMillis(300));
            assertThat(heldExclusively(db, readerPid)).isEqualTo(1);
        }
    }

    @Test
    void aLongTransactionOnOneTableDoesNotKeepTheReaderFromQueueingForAnother(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE public.presence_a (id int PRIMARY KEY)", "CREATE TABLE public.presence_b (id int PRIMARY KEY)");
        long a = db.queryForLong("SELECT 'public.presence_a'::regclass::oid::bigint");
        long b = db.queryForLong("SELECT 'public.presence_b'::regclass::oid::bigint");
        try (Connection reader = db.connect(); Connection longTx = db.connect(); Connection shortTx = db.connect()) {
            ReaderPresence presence = ReaderPresence.of(reader, SCHEMA, List.of(a, b));
            int readerPid = pid(reader);
            longTx.setAutoCommit(false);
            assertThat(tryShared(longTx, a)).isTrue();
            presence.reading(reader, Duration.ofMillis(100)); // a: the wait runs out; b: taken at once
            assertThat(heldExclusively(db, readerPid)).isEqualTo(1);
            presence.idle(reader); // releases b

            shortTx.setAutoCommit(false);
            assertThat(tryShared(shortTx, b)).isTrue();
            CompletableFuture<Void> reading = readingInBackground(presence, reader);
            awaitQueued(db, readerPid);
            shortTx.commit();
            reading.get(10, TimeUnit.SECONDS);
            assertThat(heldExclusively(db, readerPid)).as("b").isEqualTo(1);
            longTx.rollback();
        }
    }

    /**
     * The installed triggers against the reader's locks, for each flavour: they notify while the
     * reader waits; while it reads they skip the NOTIFY and hold the in-flight lock, so the reader
     * does not wait long before it looks again; and while the reader checks the in-flight lock
     * (holding it exclusively for an instant) they notify rather than wait for it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"statement", "row"})
    void theInstalledTriggersNotifyExactlyWhenTheReaderMayBeWaiting(String flavour, TestDatabase db) throws Exception {
        String table = "presence_" + flavour;
        db.execute("CREATE TABLE public." + table + " (id int PRIMARY KEY)");
        long oid = db.queryForLong("SELECT 'public." + table + "'::regclass::oid::bigint");
        Map<String, String> props = db.cdcProperties();
        props.put("cdc.mode", "trigger");
        props.put("cdc.tables", "public." + table);
        props.put("cdc.trigger.schema", SCHEMA);
        props.put("cdc.trigger.flavour", flavour);
        TriggerInstallation.install(CdcConfig.from(props));
        try (Connection reader = db.connect(); Connection listener = db.connect(); Connection writer = db.connect();
             Connection checker = db.connect()) {
            try (Statement listen = listener.createStatement()) {
                listen.execute("LISTEN " + SCHEMA);
            }
            ReaderPresence presence = ReaderPresence.of(reader, SCHEMA, List.of(oid));
            assertThat(presence.idle(reader)).isTrue();

            insert(writer, table, 1);
            assertThat(notifications(listener)).as("the reader waits: NOTIFY").isOne();

            presence.reading(reader);
            writer.setAutoCommit(false);
            insert(writer, table, 2);
            assertThat(presence.idle(reader)).as("a transaction that skipped its NOTIFY is in flight").isFalse();
            writer.commit();
            assertThat(notifications(listener)).as("the reader was reading: no NOTIFY").isZero();
            assertThat(presence.idle(reader)).as("nothing in flight any more").isTrue();

            checker.setAutoCommit(false);
            try (PreparedStatement ps = checker.prepareStatement("SELECT pg_catalog.pg_advisory_xact_lock("
                    + "pg_catalog.hashtext(?), ?::pg_catalog.oid::pg_catalog.int4)")) {
                ps.setString(1, ReaderPresence.lockName(SCHEMA, ReaderPresence.IN_FLIGHT));
                ps.setLong(2, oid);
                ps.execute();
            }
            presence.reading(reader);
            writer.setAutoCommit(true);
            CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                try {
                    insert(writer, table, 3);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            write.get(10, TimeUnit.SECONDS); // not held up by the in-flight lock
            assertThat(notifications(listener)).as("the in-flight lock was taken: NOTIFY").isOne();
            checker.rollback();
            presence.idle(reader);
        }
    }

    private static void insert(Connection c, String table, int id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO public." + table + " (id) VALUES (?)")) {
            ps.setInt(1, id);
            ps.executeUpdate();
        }
    }

    /** The notifications that arrived within half a second. */
    private static int notifications(Connection listener) throws SQLException {
        PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(500);
        return received == null ? 0 : received.length;
    }

    /** {@link ReaderPresence#reading} on another thread, allowed to wait long. */
    private static CompletableFuture<Void> readingInBackground(ReaderPresence presence, Connection reader) {
        return CompletableFuture.runAsync(() -> {
            try {
                presence.reading(reader, Duration.ofSeconds(30));
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Waits until the reader's backend waits for an advisory lock. */
    private static void awaitQueued(TestDatabase db, int readerPid) {
        await().atMost(Duration.ofSeconds(10)).until(() -> db.queryForLong(
                "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = "
                        + readerPid) == 1);
    }

    /** What the trigger functions do before they notify. */
    private static boolean tryShared(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.pg_try_advisory_xact_lock_shared("
                + "pg_catalog.hashtext(?), ?::pg_catalog.oid::pg_catalog.int4)")) {
            ps.setString(1, ReaderPresence.lockName(SCHEMA, ReaderPresence.READING));
            ps.setLong(2, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static int pid(Connection c) throws SQLException {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String show(Connection c, String setting) throws SQLException {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_catalog.current_setting('" + setting + "')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long heldExclusively(TestDatabase db, int pid) {
        return db.queryForLong("SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted "
                + "AND mode = 'ExclusiveLock' AND pid = " + pid);
    }
}
