package io.cdckit.connect;

import io.cdckit.api.TableId;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.connect.testkit.DebeziumJdbcSink;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.Workload;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * cdckit's connector into Kafka, and Debezium's own JDBC sink connector out of it into a second
 * database, in one Connect cluster: the sink reads cdckit's records as Debezium's (it creates
 * the tables from their schemas, upserts by the record key, deletes on delete events), and the
 * copy ends up equal to the source, table by table. This is the proof that the envelope really
 * is Debezium's.
 */
@PostgresTest
class JdbcSinkEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @ParameterizedTest
    @ValueSource(strings = {"trigger", "log"})
    void debeziumsJdbcSinkCopiesCdckitsTopicsIntoAnEqualDatabase(String mode, TestDatabase db) throws Exception {
        TableId orders = new TableId("public", "sink_orders_" + mode);
        TableId accounts = new TableId("public", "sink_accounts_" + mode);
        Workload.createTable(db::connect, orders);
        db.execute("CREATE TABLE " + accounts.quoted() + " (region text, no int, owner text, balance numeric(12,2), "
                        + "opened date, tags text[], PRIMARY KEY (region, no))",
                "INSERT INTO " + accounts.quoted() + " SELECT CASE WHEN g % 2 = 0 THEN 'nord' ELSE 'süd' END, g, "
                        + "'owner ' || g, g * 1.5, DATE '2024-01-01' + g, ARRAY['a', 'b' || g] "
                        + "FROM generate_series(1, 300) g",
                "INSERT INTO " + orders.quoted() + " (id, account, amount, note) SELECT g, g % 5, g / 4.0, 'old' "
                        + "FROM generate_series(1000001, 1000500) g");
        String prefix = "sink-" + mode;
        try (TestDatabase replica = db.server().createDatabase("replica_" + mode);
             ConnectTestCluster cluster = ConnectTestCluster.start(2, false)) {
            cluster.configure("cdckit-" + mode, ConnectorConfigs.cdckit(db, mode, prefix, orders, accounts));
            cluster.configure("jdbc-sink-" + mode, DebeziumJdbcSink.config(prefix, replica.jdbcUrl(), replica.user(),
                    replica.password()));
            cluster.awaitRunning("cdckit-" + mode, 1);
            cluster.awaitRunning("jdbc-sink-" + mode, 1);

            Workload.on(db::connect, orders).threads(2).transactionsPerThread(150).seed(3).run();
            db.execute("UPDATE " + accounts.quoted() + " SET balance = balance + 1, tags = tags || 'x'::text "
                            + "WHERE no % 3 = 0",
                    "DELETE FROM " + accounts.quoted() + " WHERE no % 10 = 0",
                    "INSERT INTO " + accounts.quoted() + " VALUES ('west', 1, 'new', 0.01, NULL, '{}')");

            String query = "SELECT * FROM %s ORDER BY 1, 2";
            await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
                assertThat(rows(replica, String.format(query, orders.table())))
                        .isEqualTo(rows(db, String.format(query, orders.quoted())));
                assertThat(rows(replica, String.format(query, accounts.table())))
                        .isEqualTo(rows(db, String.format(query, accounts.quoted())));
            });
            assertThat(rows(replica, String.format(query, orders.table()))).hasSizeGreaterThan(500);
        }
    }

    /** Every row of a query as the text of its columns, the same for both databases. */
    private static List<List<String>> rows(TestDatabase db, String sql) throws Exception {
        List<List<String>> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>(n);
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getMetaData().getColumnName(i) + "=" + rs.getString(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
