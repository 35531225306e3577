package io.cdckit.api;

/**
 * Transaction metadata of an event, as in Debezium's {@code transaction} block, plus the number of
 * events the transaction has, which Debezium gives only in its transaction-end record.
 *
 * <p>With {@code cdc.batch.transactions=whole} (strategies that see transactions: log, trigger)
 * every event of a transaction carries it, a batch holds whole transactions only, and
 * {@code eventCount} is set: the event with {@code totalOrder == eventCount} is the transaction's
 * last. With {@code cdc.log.transactions=true} alone, the log strategy fills it without
 * {@code eventCount} and batches may end inside a transaction.
 *
 * @param id                  transaction identifier (for PostgreSQL, the xid)
 * @param totalOrder          1-based position of the event among all events of the transaction
 * @param dataCollectionOrder 1-based position of the event among the transaction's events for the same table
 * @param eventCount          how many events the transaction has (of the captured tables), or null when not known
 */
public record TransactionInfo(String id, long totalOrder, long dataCollectionOrder, Long eventCount) {

    /** Metadata without the event count. */
    public TransactionInfo(String id, long totalOrder, long dataCollectionOrder) {
        this(id, totalOrder, dataCollectionOrder, null);
    }

    /** True when this is the transaction's last event (known only when {@link #eventCount} is). */
    public boolean isLast() {
        return eventCount != null && totalOrder == eventCount;
    }
}
