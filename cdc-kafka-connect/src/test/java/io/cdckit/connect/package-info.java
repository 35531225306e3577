/**
 * Tests of the source connector on a Kafka Connect cluster and a Kafka broker started in the test
 * JVM, against a real PostgreSQL: every mode, Debezium's record format and parity with Debezium's
 * own connector, exactly-once delivery, task layout, validation, table patterns and secrets.
 */
package io.cdckit.connect;
