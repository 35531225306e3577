package io.cdckit.trigger;

import java.util.HashMap;
import java.util.Map;

/**
 * For {@code cdc.batch.transactions=whole}: where the entries of a visibility batch may be cut.
 * A batch's entries interleave the transactions that committed between its two snapshots, in log
 * id order. Once a batch does not fit a page, its entries from the read position on are counted
 * per transaction (the set is fixed: every transaction of the batch has committed); walking the
 * entries of one poll in order then tells after which entry every transaction walked is complete,
 * so the entries up to there are whole transactions and the rest belong to others. A poll never
 * delivers part of a transaction, so each poll's walk starts with no transaction open.
 */
final class OpenTransactions {

    /** Entries per xid of the current batch from the position where they were counted; null until counted. */
    private Map<Long, Long> totals;
    /** Entries per xid walked in this poll. */
    private final Map<Long, Long> walked = new HashMap<>();
    /** Transactions walked in this poll with entries not walked yet. */
    private int open;

    /** True once the current batch's entries were counted. */
    boolean counted() {
        return totals != null;
    }

    /** The entries per xid of the current batch from the read position on. */
    void count(Map<Long, Long> entriesByXid) {
        totals = Map.copyOf(entriesByXid);
    }

    /** A poll begins: no transaction is open. */
    void startPoll() {
        walked.clear();
        open = 0;
    }

    /** Walks one entry of {@code xid}; true when every transaction walked in this poll is complete after it. */
    boolean walk(long xid) {
        long n = walked.merge(xid, 1L, Long::sum);
        if (n == 1) {
            open++;
        }
        if (n == totals.getOrDefault(xid, 0L)) {
            open--;
        }
        return open == 0;
    }

    /** A new batch begins. */
    void reset() {
        totals = null;
    }
}
