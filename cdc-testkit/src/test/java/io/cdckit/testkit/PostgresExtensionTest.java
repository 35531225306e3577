package io.cdckit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Runs small test classes through the Jupiter engine and checks which databases they got. The
 * inner classes are not run by the build on their own (their names contain '$').
 */
class PostgresExtensionTest {

    /** The database each inner test class saw, by a label; the value is the database name. */
    static final Map<String, String> SEEN = new ConcurrentHashMap<>();

    @Test
    void eachClassGetsItsOwnDatabaseWhichIsDroppedAfterIt() {
        SEEN.clear();
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(FirstClass.class), selectClass(SecondClass.class),
                        selectClass(ConcreteA.class), selectClass(ConcreteB.class), selectClass(Outer.class),
                        selectClass(PerClassLifecycle.class))
                .execute();

        results.containerEvents().assertStatistics(s -> s.failed(0));
        results.testEvents().assertStatistics(s -> s.failed(0).aborted(0).succeeded(8));

        assertThat(SEEN).containsKeys("first.beforeAll", "first.test", "second.test", "a.ctor", "a.test", "b.ctor",
                "b.test", "outer.beforeAll", "outer.test", "inner.test", "inner.beforeEach", "perClass.ctor",
                "perClass.beforeAll", "perClass.test");
        assertThat(SEEN.get("first.beforeAll")).isEqualTo(SEEN.get("first.test")).startsWith("firstclass_");
        assertThat(SEEN.get("a.ctor")).isEqualTo(SEEN.get("a.test")).startsWith("concretea_");
        assertThat(SEEN.get("b.ctor")).isEqualTo(SEEN.get("b.test")).startsWith("concreteb_");
        assertThat(SEEN.get("outer.beforeAll")).isEqualTo(SEEN.get("outer.test")).isEqualTo(SEEN.get("inner.test"))
                .isEqualTo(SEEN.get("inner.beforeEach"));
        assertThat(SEEN.get("perClass.ctor")).isEqualTo(SEEN.get("perClass.beforeAll"))
                .isEqualTo(SEEN.get("perClass.test"));
        List<String> perClass = List.of(SEEN.get("first.test"), SEEN.get("second.test"), SEEN.get("a.test"),
                SEEN.get("b.test"), SEEN.get("outer.test"), SEEN.get("perClass.test"));
        assertThat(perClass).doesNotHaveDuplicates();

        TestDatabase admin = PostgresFixture.server().createDatabase("extension_check");
        try {
            for (String name : perClass) {
                assertThat(admin.queryForLong("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"))
                        .as("database %s is dropped after its class", name).isZero();
            }
        } finally {
            admin.drop();
        }
    }

    @PostgresTest
    static class FirstClass {
        @BeforeAll
        static void createTable(TestDatabase db) {
            SEEN.put("first.beforeAll", db.name());
            db.execute("CREATE TABLE only_in_first (id int)", "INSERT INTO only_in_first VALUES (7)");
        }

        @Test
        void seesItsTable(TestDatabase db) {
            SEEN.put("first.test", db.name());
            assertThat(db.queryForLong("SELECT id FROM only_in_first")).isEqualTo(7);
        }
    }

    @PostgresTest
    static class SecondClass {
        @Test
        void doesNotSeeTheTableOfTheFirst(TestDatabase db) {
            SEEN.put("second.test", db.name());
            assertThat(db.queryForString("SELECT to_regclass('only_in_first')::text")).isNull();
            db.execute("CREATE TABLE only_in_first (other text)");
        }
    }

    @PostgresTest
    abstract static class AbstractBase {
        private final TestDatabase db;

        AbstractBase(TestDatabase db) {
            this.db = db;
            SEEN.put(label() + ".ctor", db.name());
        }

        abstract String label();

        @Test
        void baseTestUsesTheSubclassDatabase() {
            SEEN.put(label() + ".test", db.name());
            db.execute("CREATE TABLE made_by_base (id int)");
        }
    }

    static class ConcreteA extends AbstractBase {
        ConcreteA(TestDatabase db) {
            super(db);
        }

        @Override
        String label() {
            return "a";
        }
    }

    static class ConcreteB extends AbstractBase {
        ConcreteB(TestDatabase db) {
            super(db);
        }

        @Override
        String label() {
            return "b";
        }
    }

    @PostgresTest
    static class Outer {
        @BeforeAll
        static void setUp(TestDatabase db) {
            SEEN.put("outer.beforeAll", db.name());
            db.execute("CREATE TABLE outer_table (id int)");
        }

        @Test
        void outerTest(TestDatabase db) {
            SEEN.put("outer.test", db.name());
        }

        @Nested
        class Inner {
            @BeforeEach
            void before(TestDatabase db) {
                SEEN.put("inner.beforeEach", db.name());
            }

            @Test
            void innerSharesTheOuterDatabase(TestDatabase db) {
                SEEN.put("inner.test", db.name());
                assertThat(db.queryForString("SELECT to_regclass('outer_table')::text")).isEqualTo("outer_table");
            }
        }
    }

    @PostgresTest
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class PerClassLifecycle {
        PerClassLifecycle(TestDatabase db) {
            SEEN.put("perClass.ctor", db.name());
        }

        @BeforeAll
        void setUp(TestDatabase db) {
            SEEN.put("perClass.beforeAll", db.name());
        }

        @Test
        void one(TestDatabase db) {
            SEEN.put("perClass.test", db.name());
        }

        @Test
        void two(TestDatabase db, PostgresServer server) {
            assertThat(db.server()).isSameAs(server);
        }
    }
}
