package io.cdckit.logbased;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.CapturedEvents;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.cdckit.testkit.TestSources;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code cdc.log.replica-identity=default} the columns {@code cdc.columns.*} leaves out are
 * left out of the publication (a column list, PostgreSQL 15+), so the server never sends them;
 * with {@code REPLICA IDENTITY FULL} (the default) no list is possible and the publication keeps
 * every column, the values being dropped in the JVM. Either way the events lack them.
 */
@PostgresTest
class PublicationColumnsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void leftOutColumnsAreNotPublishedWhereTheReplicaIdentityAllows(TestDatabase db) {
        TableId keyed = new TableId("public", "pubcols_keyed");
        TableId full = new TableId("public", "pubcols_full");
        db.execute("CREATE TABLE " + keyed.quoted() + " (id int PRIMARY KEY, name text, ssn text, note text)",
                "CREATE TABLE " + full.quoted() + " (id int PRIMARY KEY, name text, ssn text)",
                "ALTER TABLE " + full.quoted() + " REPLICA IDENTITY FULL");
        try (TestSources sources = new TestSources(db)) {
            CdcConfig config = sources.config("pubcols", Map.of("cdc.mode", "log", "cdc.log.engine", TestEngine.NAME,
                    "cdc.log.replica-identity", "default",
                    "cdc.columns.exclude", keyed + ":ssn;" + full + ":ssn",
                    "cdc.columns.include", keyed + ":name,ssn"), keyed, full);
            CapturedEvents captured = new CapturedEvents();
            captured.watching(sources.start(config, OffsetStores.memory(), captured));
            assertThat(db.queryForString("SELECT pg_catalog.array_to_string(attnames, ',') FROM pg_publication_tables "
                    + "WHERE pubname = 'pubcols_pub' AND tablename = 'pubcols_keyed'")).isEqualTo("id,name");
            assertThat(db.queryForString("SELECT pg_catalog.array_to_string(attnames, ',') FROM pg_publication_tables "
                    + "WHERE pubname = 'pubcols_pub' AND tablename = 'pubcols_full'")).isEqualTo("id,name,ssn");

            db.execute("INSERT INTO " + keyed.quoted() + " VALUES (1, 'ann', 'SSN-1', 'n1')",
                    "UPDATE " + keyed.quoted() + " SET name = 'anne', ssn = 'SSN-2' WHERE id = 1",
                    "INSERT INTO " + full.quoted() + " VALUES (1, 'bob', 'SSN-3')",
                    "DELETE FROM " + keyed.quoted() + " WHERE id = 1");
            captured.awaitAtLeast(4, WAIT);
            List<ChangeEvent> events = captured.events();
            assertThat(events).extracting(e -> e.op().code() + ":" + e.table().table())
                    .containsExactly("c:pubcols_keyed", "u:pubcols_keyed", "c:pubcols_full", "d:pubcols_keyed");
            assertThat(events.get(0).after()).containsOnlyKeys("id", "name").containsEntry("name", "ann");
            assertThat(events.get(1).after()).containsOnlyKeys("id", "name").containsEntry("name", "anne");
            assertThat(events.get(2).after()).containsOnlyKeys("id", "name");
            assertThat(events.get(3).key()).containsEntry("id", 1);
        }
    }
}
