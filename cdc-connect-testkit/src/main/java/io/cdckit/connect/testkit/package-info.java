/**
 * Kafka and Kafka Connect in one JVM for tests, benchmarks and the demo:
 * {@link io.cdckit.connect.testkit.ConnectTestCluster} wraps Kafka's own embedded Connect cluster
 * (the only code that touches Kafka's internal test classes) and
 * {@link io.cdckit.connect.testkit.EnvelopeReader} reads Debezium envelopes back as cdckit events.
 */
package io.cdckit.connect.testkit;
