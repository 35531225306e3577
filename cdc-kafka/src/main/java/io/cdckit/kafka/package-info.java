/**
 * Publishing changes to Kafka from an embedded source: {@link io.cdckit.kafka.KafkaChangeHandler} is a
 * {@link io.cdckit.api.ChangeHandler} that sends each batch with an idempotent (optionally
 * transactional) producer to one topic per table, keyed by the row's key, with the event's JSON
 * envelope as value, and returns only once Kafka acknowledged the whole batch, so that the source
 * commits nothing Kafka does not hold.
 */
package io.cdckit.kafka;
