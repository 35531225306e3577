package io.cdckit.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that runs against the fixture's PostgreSQL: the class gets one fresh
 * {@link TestDatabase}, which its constructor, lifecycle methods and test methods receive as a
 * parameter, and which is dropped after the class. See {@link PostgresExtension}. Subclasses of
 * an annotated class inherit it.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PostgresExtension.class)
public @interface PostgresTest {
}
