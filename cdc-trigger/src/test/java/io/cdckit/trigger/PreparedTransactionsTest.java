package io.cdckit.trigger;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStores;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.LocalPostgresCluster;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two-phase commit on a captured table: PostgreSQL refuses {@code PREPARE TRANSACTION} after a
 * NOTIFY, so a source whose triggers notify warns when the server allows prepared transactions,
 * and with {@code cdc.trigger.notify=false} prepared writers work and their changes arrive once
 * committed.
 */
class PreparedTransactionsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static CdcConfig config(LocalPostgresCluster cluster, String name, boolean notify, Duration poll) {
        return CdcConfig.builder()
                .set("cdc.mode", "trigger")
                .set("cdc.jdbc.url", cluster.jdbcUrl("postgres"))
                .set("cdc.jdbc.user", cluster.adminUser())
                .set("cdc.jdbc.password", cluster.adminPassword())
                .set("cdc.snapshot.mode", "never")
                .set("cdc.poll.interval", poll.toMillis() + "ms")
                .set("cdc.trigger.schema", "cdc_" + name)
                .set("cdc.trigger.notify", String.valueOf(notify))
                .name(name).tables("public.twopc").build();
    }

    private static Connection connect(LocalPostgresCluster cluster) throws SQLException {
        return DriverManager.getConnection(cluster.jdbcUrl("postgres"), cluster.adminUser(), cluster.adminPassword());
    }

    /** Writes a row in a transaction and prepares it, as an XA resource manager would. */
    private static void prepareInsert(Connection c, int id, String gid) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO public.twopc VALUES (" + id + ", 'prepared')");
            st.execute("PREPARE TRANSACTION '" + gid + "'");
        } finally {
            c.setAutoCommit(true);
        }
    }

    @Test
    void notifyingTriggersBreakPrepareSoTheSourceWarnsAndWithoutNotifyPreparedWritesArrive() throws Exception {
        try (LocalPostgresCluster cluster = LocalPostgresCluster.start(Map.of("max_prepared_transactions", "2"));
             Connection admin = connect(cluster);
             Statement st = admin.createStatement()) {
            st.execute("CREATE TABLE public.twopc (id int PRIMARY KEY, v text)");

            ByteArrayOutputStream logs = new ByteArrayOutputStream();
            PrintStream originalErr = System.err;
            System.setErr(new PrintStream(new Tee(logs, originalErr), true, StandardCharsets.UTF_8));
            ChangeSource notifying = ChangeSources.builder(config(cluster, "noisy", true, Duration.ofSeconds(10)))
                    .offsetStore(OffsetStores.memory()).build();
            try {
                notifying.start(batch -> { });
            } finally {
                System.setErr(originalErr);
            }
            assertThat(logs.toString(StandardCharsets.UTF_8))
                    .contains("max_prepared_transactions = 2", "set cdc.trigger.notify=false");
            // the reader waits for a notification: the trigger sends one, and PREPARE is refused
            Thread.sleep(200);
            try (Connection writer = connect(cluster)) {
                assertThatThrownBy(() -> prepareInsert(writer, 1, "noisy-1"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("NOTIFY");
            }
            notifying.close();
            TriggerInstallation.uninstall(config(cluster, "noisy", true, Duration.ofSeconds(10)));

            CapturedEvents captured = new CapturedEvents();
            ChangeSource quiet = ChangeSources.builder(config(cluster, "quiet", false, Duration.ofMillis(100)))
                    .offsetStore(OffsetStores.memory()).build();
            captured.watching(quiet);
            quiet.start(captured);
            try (Connection writer = connect(cluster)) {
                prepareInsert(writer, 2, "quiet-2");
            }
            Thread.sleep(500);
            assertThat(captured.events()).as("not delivered while only prepared").isEmpty();
            st.execute("COMMIT PREPARED 'quiet-2'");
            captured.awaitAtLeast(1, WAIT);
            assertThat(captured.events()).extracting(e -> e.op().code() + ":" + e.key().get("id"))
                    .containsExactly("c:2");
            quiet.close();
        }
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
