/**
 * Tests of the Kafka handler against a real PostgreSQL (trigger strategy as the source) and a Kafka
 * broker in the test JVM: records and topics, per-key order, transactions, a stopped broker, a
 * publisher killed with SIGKILL, settings and secrets.
 */
package io.cdckit.kafka;
