package io.cdckit.api;

/**
 * Transaction metadata of an event, as in Debezium's {@code transaction} block.
 *
 * @param id                  transaction identifier (for PostgreSQL, the xid, optionally with the commit LSN)
 * @param totalOrder          1-based position of the event among all events of the transaction
 * @param dataCollectionOrder 1-based position of the event among the transaction's events for the same table
 */
public record TransactionInfo(String id, long totalOrder, long dataCollectionOrder) {
}
