package io.cdckit.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

class ReplicationSlotTest {

    @Test
    void dropRemovesSlotsSessionsAndTheDatabase() throws Exception {
        PostgresServer server = PostgresFixture.server();
        TestDatabase db = server.createDatabase("ReplicationSlotTest");
        TestDatabase other = server.createDatabase("ReplicationSlotTest");
        try {
            db.execute("CREATE TABLE t (id int PRIMARY KEY)", "CREATE PUBLICATION pub FOR ALL TABLES",
                    "SELECT pg_create_logical_replication_slot('" + db.name() + "_idle', 'pgoutput')",
                    "SELECT pg_create_logical_replication_slot('" + db.name() + "_streaming', 'pgoutput')");
            other.execute("SELECT pg_create_logical_replication_slot('" + other.name() + "_kept', 'pgoutput')");
            assertThat(db.queryForLong("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
                    .isEqualTo(2);

            Connection idle = db.connect();
            Connection replication = replicationConnection(db);
            PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI()
                    .replicationStream().logical()
                    .withSlotName(db.name() + "_streaming")
                    .withSlotOption("proto_version", 1)
                    .withSlotOption("publication_names", "pub")
                    .start();
            db.execute("INSERT INTO t VALUES (1)");
            assertThat(activeSlots(other, db.name())).isEqualTo(1);

            db.drop();

            assertThat(other.queryForLong("SELECT count(*) FROM pg_database WHERE datname = '" + db.name() + "'"))
                    .isZero();
            assertThat(other.queryForLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '"
                    + db.name() + "%'")).isZero();
            assertThat(other.queryForLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
                    + other.name() + "_kept'")).as("slots of other databases stay").isEqualTo(1);
            assertThat(idle.isValid(5)).isFalse();
            closeQuietly(stream::close);
            closeQuietly(replication::close);
            closeQuietly(idle::close);
        } finally {
            db.drop();
            other.drop();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception expected) {
            // the server ended the session
        }
    }

    private static long activeSlots(TestDatabase observer, String database) {
        return observer.queryForLong("SELECT count(*) FROM pg_replication_slots WHERE active AND database = '"
                + database + "'");
    }

    private static Connection replicationConnection(TestDatabase db) throws Exception {
        Properties props = new Properties();
        PGProperty.USER.set(props, db.user());
        PGProperty.PASSWORD.set(props, db.password());
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        return DriverManager.getConnection(db.jdbcUrl(), props);
    }
}
