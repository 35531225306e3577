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
 * What the contract test classes share: the test's database and sources, the strategy's
 * properties and capabilities, table names per test, waiting.
 */
public abstract class ContractTestSupport {

    /** The test class's database. */
    protected TestDatabase db;
    /** The running test method's name in lower case. */
    protected String testName;
    private TestSources sources;

    /** What the strategy can see. */
    protected abstract Capabilities capabilities();

    /** The strategy's configuration, at least {@code cdc.mode}; connection and tables are added. */
    protected abstract Map<String, String> strategyProperties();

    /**
     * Creates the source under test. The default goes through {@link ChangeSources}; override
     * to decorate it.
     */
    protected ChangeSource createSource(CdcConfig config, OffsetStore offsets) {
        return ChangeSources.builder(config).offsetStore(offsets).build();
    }

    /** How long to wait for expected events before failing. */
    protected Duration waitTime() {
        return Duration.ofSeconds(30);
    }

    /**
     * How long to keep listening after the expected events arrived, to catch extra (invented or
     * duplicated) events before asserting the exact list.
     */
    protected Duration settleTime() {
        return Duration.ofMillis(500);
    }

    @BeforeEach
    void bindDatabase(TestDatabase database, TestInfo info) {
        this.db = database;
        this.sources = new TestSources(database);
        this.testName = info.getTestMethod().orElseThrow().getName().toLowerCase();
    }

    @AfterEach
    void closeSources() {
        sources.close();
    }

    /** The config for this test's source over {@code tables}. */
    protected CdcConfig config(String sourceName, TableId... tables) {
        return sources.config(sourceName, strategyProperties(), tables);
    }

    /** Starts a source delivering to {@code handler}; closed after the test. */
    protected ChangeSource start(CdcConfig config, OffsetStore offsets, ChangeHandler handler) {
        return sources.start(createSource(config, offsets), handler);
    }

    /**
     * The table name of the quoted-identifier test: mixed case, a space and double quotes, ending
     * in one. A strategy whose engine cannot capture names that start or end with a double quote
     * overrides this with a name that has them inside only, and must reject the others at start
     * with a clear error (tested in its own module).
     */
    protected String quotedIdentifierTableName() {
        return "Order \"Lines\"";
    }

    /** A table name for this test, within PostgreSQL's 63-byte identifier limit. */
    protected TableId table(String suffix) {
        String base = testName.length() > 40 ? testName.substring(0, 40) : testName;
        return new TableId("public", "c_" + base + "_" + suffix);
    }

    protected void createStandardTable(TableId t) {
        db.execute("CREATE TABLE " + t.quoted() + " (id int PRIMARY KEY, name text NOT NULL, qty int,"
                + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }

    /** Waits {@link #settleTime()}. */
    protected void settle() {
        try {
            Thread.sleep(settleTime().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A row image from name, value pairs. */
    protected static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Asserts equal typed values, column by column. */
    protected static void assertColumns(Map<String, Object> expected, Map<String, Object> actual, String what) {
        assertThat(TypedValueAssert.differences(expected, actual)).as(what).isEmpty();
    }
}
