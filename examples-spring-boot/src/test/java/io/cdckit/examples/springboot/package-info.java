/**
 * Runs the Spring Boot example against the testkit's throwaway PostgreSQL.
 */
package io.cdckit.examples.springboot;
