package io.cdckit.timestamp;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.OffsetStores;
import io.cdckit.api.TableId;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the strategy checks before it starts, and the fixes its errors name. */
@PostgresTest
class StartupChecksTest {

    private static final TableId GOOD = new TableId("public", "checks_good");
    private RunningSources sources;

    @BeforeAll
    static void tables(TestDatabase db) {
        db.execute("CREATE TABLE " + GOOD.quoted() + " (id int PRIMARY KEY, flag text, created date,"
                + " updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE checks_nokey (id int, updated_at timestamptz)",
                "CREATE TABLE checks_text_ts (id int PRIMARY KEY, updated_at text)");
    }

    @AfterEach
    void close() {
        if (sources != null) {
            sources.close();
        }
    }

    private CdcException startFails(TestDatabase db, Map<String, String> extra, String table) {
        sources = new RunningSources(db);
        CdcConfig config = sources.config("checks", extra, TableId.parse(table));
        return (CdcException) org.assertj.core.api.Assertions.catchThrowableOfType(CdcException.class,
                () -> sources.start(config, OffsetStores.memory(), batch -> { }));
    }

    @Test
    void aMissingTableIsNamed(TestDatabase db) {
        assertThat(startFails(db, Map.of(), "public.checks_missing")).hasMessageContaining("checks_missing")
                .hasMessageContaining("does not exist");
    }

    @Test
    void aTableWithoutPrimaryKeyIsRefusedWithTheFix(TestDatabase db) {
        assertThat(startFails(db, Map.of(), "public.checks_nokey")).hasMessageContaining("no primary key")
                .hasMessageContaining("ADD PRIMARY KEY");
    }

    @Test
    void aMissingTimestampColumnIsRefusedWithTheFix(TestDatabase db) {
        assertThat(startFails(db, Map.of("cdc.timestamp.column", "changed_at"), GOOD.toString()))
                .hasMessageContaining("\"changed_at\"").hasMessageContaining("cdc.timestamp.column")
                .hasMessageContaining("ADD COLUMN \"changed_at\" timestamptz");
    }

    @Test
    void aTimestampColumnOfAnotherTypeIsRefused(TestDatabase db) {
        assertThat(startFails(db, Map.of(), "public.checks_text_ts")).hasMessageContaining("is text")
                .hasMessageContaining("timestamptz or timestamp");
        assertThat(startFails(db, Map.of("cdc.timestamp.created-column", "created"), GOOD.toString()))
                .hasMessageContaining("\"created\"").hasMessageContaining("is date")
                .hasMessageContaining("cdc.timestamp.created-column");
    }

    @Test
    void aSoftDeleteColumnMustBeBooleanOrTimestamp(TestDatabase db) {
        assertThat(startFails(db, Map.of("cdc.timestamp.deleted-column", "flag"), GOOD.toString()))
                .hasMessageContaining("\"flag\"").hasMessageContaining("boolean");
        assertThat(startFails(db, Map.of("cdc.timestamp.deleted-column", "gone"), GOOD.toString()))
                .hasMessageContaining("no column \"gone\"");
    }

    @Test
    void theIndexWantedIsSpelledOut(TestDatabase db) throws Exception {
        TimestampSettings settings = TimestampSettings.from(new RunningSources(db).config("idx", Map.of(), GOOD));
        try (var c = db.connect()) {
            CapturedTable t = CapturedTable.load(c, GOOD, settings);
            assertThat(t.indexStatement()).isEqualTo(
                    "CREATE INDEX CONCURRENTLY ON \"public\".\"checks_good\" (\"updated_at\", \"id\");");
        }
    }

    @Test
    void aUserWhoCannotSeeOtherSessionsIsToldTheGrant(TestDatabase db) {
        db.execute("DROP ROLE IF EXISTS ts_blind",
                "CREATE ROLE ts_blind LOGIN PASSWORD 'blind-secret'",
                "GRANT SELECT ON " + GOOD.quoted() + " TO ts_blind");
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("cdc.mode", "timestamp");
        p.put("cdc.jdbc.url", db.jdbcUrl());
        p.put("cdc.jdbc.user", "ts_blind");
        p.put("cdc.jdbc.password", "blind-secret");
        p.put("cdc.tables", GOOD.toString());
        p.put("cdc.timestamp.reconcile.every-polls", "0");
        var source = ChangeSources.builder(CdcConfig.from(p)).offsetStore(OffsetStores.memory()).build();
        try {
            assertThatThrownBy(() -> source.start(batch -> { })).isInstanceOf(CdcException.class)
                    .hasMessageContaining("GRANT pg_read_all_stats TO \"ts_blind\";")
                    .hasMessageNotContaining("blind-secret");
        } finally {
            source.close();
        }
        db.execute("GRANT pg_read_all_stats TO ts_blind");
        var granted = ChangeSources.builder(CdcConfig.from(p)).offsetStore(OffsetStores.memory()).build();
        try {
            granted.start(batch -> { });
            assertThat(granted.status().isActive()).isTrue();
        } finally {
            granted.close();
        }
    }

    @Test
    void keyTrackingWithoutCreatePrivilegeNamesTheGrantAndTheWayOut(TestDatabase db) {
        db.execute("DROP ROLE IF EXISTS ts_reader",
                "CREATE ROLE ts_reader LOGIN PASSWORD 'reader-secret' IN ROLE pg_read_all_stats",
                "GRANT SELECT ON " + GOOD.quoted() + " TO ts_reader",
                "REVOKE CREATE ON DATABASE " + db.name() + " FROM PUBLIC");
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("cdc.mode", "timestamp");
        p.put("cdc.jdbc.url", db.jdbcUrl());
        p.put("cdc.jdbc.user", "ts_reader");
        p.put("cdc.jdbc.password", "reader-secret");
        p.put("cdc.tables", GOOD.toString());
        p.put("cdc.timestamp.state-schema", "ts_reader_state");
        var source = ChangeSources.builder(CdcConfig.from(p)).offsetStore(OffsetStores.memory()).build();
        try {
            assertThatThrownBy(() -> source.start(batch -> { })).isInstanceOf(CdcException.class)
                    .hasMessageContaining("GRANT CREATE ON DATABASE")
                    .hasMessageContaining("cdc.timestamp.reconcile.every-polls=0");
        } finally {
            source.close();
        }
    }
}
