/**
 * What applications build on change data capture, each on the common
 * {@link io.cdckit.api.ChangeSource} API and therefore with any strategy: an event processor
 * that dispatches by operation ({@link io.cdckit.examples.ChangeDispatcher}), incremental
 * real-time analytics ({@link io.cdckit.examples.OrderAnalytics}), a warehouse sink that upserts
 * and soft-deletes ({@link io.cdckit.examples.WarehouseSink}), domain events for event sourcing
 * ({@link io.cdckit.examples.OrderDomainEvents}), a CQRS read model
 * ({@link io.cdckit.examples.OrderSummaryReadModel}) and a flatten transform like Debezium's
 * ExtractNewRecordState ({@link io.cdckit.examples.FlattenTransform}).
 */
package io.cdckit.examples;
