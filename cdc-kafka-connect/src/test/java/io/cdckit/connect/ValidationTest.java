package io.cdckit.connect;

import io.cdckit.api.TableId;
import io.cdckit.connect.testkit.ConnectTestCluster;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connect's validation of a connector config (the REST call {@code PUT
 * /connector-plugins/.../config/validate} that UIs and deploy tools make) reports cdckit's own
 * problems on the key they concern, before anything runs.
 */
@PostgresTest
class ValidationTest {

    private static ConnectTestCluster cluster;

    @BeforeAll
    static void start() {
        cluster = ConnectTestCluster.start(1, false);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static Map<String, String> good(TestDatabase db) {
        TableId t = new TableId("public", "valid_orders");
        db.execute("CREATE TABLE IF NOT EXISTS " + t.quoted() + " (id int PRIMARY KEY, note text)");
        Map<String, String> c = new HashMap<>(ConnectorConfigs.cdckit(db, "trigger", "valid", t));
        c.put("name", "valid");
        return c;
    }

    private static Map<String, List<String>> validate(Map<String, String> config) {
        return cluster.validate(CdcSourceConnector.class.getSimpleName(), config);
    }

    @Test
    void aGoodConfigHasNoErrors(TestDatabase db) {
        assertThat(validate(good(db))).isEmpty();
    }

    @Test
    void anUnknownKeyIsNamedWithTheKeyItResembles(TestDatabase db) {
        Map<String, String> c = good(db);
        c.put("cdc.tabels", c.remove("cdc.tables"));
        Map<String, List<String>> errors = validate(c);
        assertThat(errors.get("cdc.tabels")).singleElement().asString()
                .contains("Unknown configuration key 'cdc.tabels'").contains("did you mean 'cdc.tables'");
    }

    @Test
    void aBadModeIsReportedOnCdcMode(TestDatabase db) {
        Map<String, String> c = good(db);
        c.put("cdc.mode", "wal");
        assertThat(validate(c).get("cdc.mode")).singleElement().asString()
                .contains("wal").contains("log").contains("trigger").contains("timestamp");
    }

    @Test
    void anUnreachableDatabaseIsReportedOnTheUrl(TestDatabase db) {
        Map<String, String> c = good(db);
        c.put("cdc.jdbc.url", "jdbc:postgresql://127.0.0.1:1/" + db.name());
        c.put("cdc.jdbc.connect-timeout", "2s");
        assertThat(validate(c).get("cdc.jdbc.url")).singleElement().asString()
                .contains("Cannot connect").contains("Check cdc.jdbc.url");
    }

    @Test
    void aWrongPasswordIsReportedWithoutThePassword(TestDatabase db) {
        Map<String, String> c = good(db);
        c.put("cdc.jdbc.password", "not-the-password-42");
        Map<String, List<String>> errors = validate(c);
        assertThat(errors).containsKey("cdc.jdbc.user");
        assertThat(errors.toString()).contains("Check cdc.jdbc.user and cdc.jdbc.password")
                .doesNotContain("not-the-password-42");
    }

    @Test
    void aMissingTableAndAMissingPrefixAreReportedOnTheirKeys(TestDatabase db) {
        Map<String, String> c = good(db);
        c.put("cdc.tables", "public.no_such_table");
        assertThat(validate(c).get("cdc.tables")).singleElement().asString().contains("does not exist");
        Map<String, String> d = good(db);
        d.remove("topic.prefix");
        assertThat(validate(d)).containsKey("topic.prefix");
        d.put("topic.prefix", "bad prefix");
        assertThat(validate(d).get("topic.prefix")).singleElement().asString().contains("' '");
    }

    @Test
    void aTablePatternThatMatchesNothingIsReportedOnIt(TestDatabase db) {
        Map<String, String> c = good(db);
        c.remove("cdc.tables");
        c.put("cdc.tables.include", "no_such_schema\\..*");
        Map<String, List<String>> errors = validate(c);
        assertThat(errors).doesNotContainKey("cdc.tables");
        assertThat(errors.get("cdc.tables.include")).singleElement().asString().contains("matches no table");
    }

    @Test
    void keysConnectTakesOverAreRefusedWithWhatReplacesThem(TestDatabase db) {
        Map<String, String> c = good(db);
        c.put("cdc.offset.store", "jdbc");
        c.put("cdc.errors.tolerance", "all");
        Map<String, List<String>> errors = validate(c);
        assertThat(errors.get("cdc.offset.store")).singleElement().asString().contains("Connect source offsets");
        assertThat(errors.get("cdc.errors.tolerance")).singleElement().asString().contains("errors.tolerance");
    }
}
