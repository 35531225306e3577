/**
 * Tests of the Spring Boot starter: how {@code cdckit.*} properties become cdckit's keys and how a bad one
 * is reported, what the auto-configuration creates and when it steps back (no database), and the
 * strategies running in an application context against the testkit's PostgreSQL.
 */
package io.cdckit.spring.boot;
