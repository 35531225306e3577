package io.cdckit.testkit;

import java.util.Locale;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit Jupiter extension that gives each test class one fresh {@link TestDatabase} on the JVM's
 * shared {@link PostgresFixture#server() server}, and drops it after the class. Usually
 * registered with {@link PostgresTest @PostgresTest}.
 *
 * <p>Constructors, {@code @BeforeAll}/{@code @BeforeEach}/{@code @AfterEach}/{@code @AfterAll}
 * methods and test methods receive the class's database through a {@link TestDatabase}
 * parameter, and the server through a {@link PostgresServer} parameter. A subclass of an
 * annotated (possibly abstract) class gets its own database; a {@code @Nested} class shares the
 * database of its enclosing class, whose lifecycle it is part of.
 *
 * <p>The database is named after the test class, e.g. {@code orderstest_4} for
 * {@code OrdersTest}.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresExtension.class);
    private static final String DATABASE = "database";

    /** Used by JUnit. */
    public PostgresExtension() {
    }

    /** Makes the class's database, unless an enclosing class already has one. */
    @Override
    public void beforeAll(ExtensionContext context) {
        database(context);
    }

    /** Drops the database that this class made; a nested class leaves its enclosing class's one. */
    @Override
    public void afterAll(ExtensionContext context) {
        TestDatabase db = context.getStore(NAMESPACE).remove(DATABASE, TestDatabase.class);
        if (db != null) {
            db.drop();
        }
    }

    /** Supports parameters of type {@link TestDatabase} and {@link PostgresServer}. */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == TestDatabase.class || type == PostgresServer.class;
    }

    /** The class's database, or the shared server. */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        if (parameterContext.getParameter().getType() == PostgresServer.class) {
            return PostgresFixture.server();
        }
        return database(extensionContext);
    }

    /**
     * The database of the test class of {@code context}, made now if it has none yet; for other
     * extensions that need it.
     *
     * @param context the context of a test class or a test method
     */
    public static TestDatabase database(ExtensionContext context) {
        TestDatabase existing = context.getStore(NAMESPACE).get(DATABASE, TestDatabase.class);
        if (existing != null) {
            return existing;
        }
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        String hint = classContext.getTestClass().map(Class::getSimpleName).orElse("test")
                .toLowerCase(Locale.ROOT);
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(DATABASE,
                key -> PostgresFixture.server().createDatabase(hint), TestDatabase.class);
    }
}
