package io.cdckit.examples;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a test once per capture strategy, with the {@code cdc.mode} as its first parameter: the
 * examples are written against the common API and must work unchanged with each.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "cdc.mode={0}")
@ValueSource(strings = {"log", "trigger", "timestamp"})
@interface EveryMode {
}
