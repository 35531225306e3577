package io.cdckit.connect;

import io.cdckit.api.TableId;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.connect.testkit.EnvelopeReader;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code cdc.tables.include} on Connect: the connector resolves the pattern at start, and a table
 * created later that matches reaches its topic (its earlier rows as a snapshot) once the connector
 * has reconfigured its tasks; a table matching {@code cdc.tables.exclude} never does.
 */
@PostgresTest
class TablePatternsTest {

    private static final Duration WAIT = Duration.ofSeconds(90);

    @ParameterizedTest
    @ValueSource(strings = {"trigger", "timestamp"})
    void aTableCreatedLaterIsPickedUp(String mode, TestDatabase db) {
        String schema = "connect_pat_" + mode;
        TableId first = new TableId(schema, "orders");
        TableId later = new TableId(schema, "returns");
        TableId skipped = new TableId(schema, "tmp_scratch");
        db.execute("CREATE SCHEMA " + schema);
        for (TableId t : new TableId[] {first}) {
            create(db, t);
        }
        db.execute("INSERT INTO " + first.quoted() + " (id, name) VALUES (1, 'at start')");
        String prefix = "pat" + mode;
        try (ConnectTestCluster cluster = ConnectTestCluster.start(1, false);
             EnvelopeReader orders = new EnvelopeReader(cluster, ConnectorConfigs.topic(prefix, first));
             EnvelopeReader returns = new EnvelopeReader(cluster, ConnectorConfigs.topic(prefix, later));
             EnvelopeReader scratch = new EnvelopeReader(cluster, ConnectorConfigs.topic(prefix, skipped))) {
            Map<String, String> config = new HashMap<>(ConnectorConfigs.cdckit(db, mode, prefix, first));
            config.remove("cdc.tables");
            config.put("cdc.tables.include", schema + "\\..*");
            config.put("cdc.tables.exclude", schema + "\\.tmp_.*");
            config.put("cdc.tables.refresh-interval", "500ms");
            config.put("cdc.snapshot.mode", "initial");
            cluster.configure("cdckit-patterns-" + mode, config);
            await().atMost(WAIT).until(() -> {
                orders.poll(Duration.ofMillis(200));
                return !orders.read().isEmpty();
            });

            create(db, later);
            create(db, skipped);
            db.execute("INSERT INTO " + later.quoted() + " (id, name) VALUES (1, 'before pickup')",
                    "INSERT INTO " + skipped.quoted() + " (id, name) VALUES (1, 'never')");
            await().atMost(WAIT).until(() -> {
                returns.poll(Duration.ofMillis(200));
                return returns.read().stream().anyMatch(r -> "before pickup".equals(r.event().row().get("name")));
            });
            db.execute("INSERT INTO " + later.quoted() + " (id, name) VALUES (2, 'after pickup')");
            await().atMost(WAIT).until(() -> {
                returns.poll(Duration.ofMillis(200));
                return returns.read().stream().anyMatch(r -> "after pickup".equals(r.event().row().get("name")));
            });
            assertThat(scratch.poll(Duration.ofSeconds(1))).isEmpty();
            assertThat(scratch.read()).isEmpty();
        }
    }

    private static void create(TestDatabase db, TableId t) {
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, name text NOT NULL,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }
}
