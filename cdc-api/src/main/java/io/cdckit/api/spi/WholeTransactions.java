package io.cdckit.api.spi;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.TransactionInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cdc.batch.transactions=whole} for readers: a reader that sees transactions returns from
 * each {@link ChangeReader#poll} whole transactions only, and numbers their events here, so every
 * strategy fills the transaction block the same way: the id is the PostgreSQL xid of
 * {@code source.txId}, orders count from 1 in stream order, and the event count is that of the
 * transaction's events the source delivers (of the captured tables, after row filters).
 */
public final class WholeTransactions {

    private WholeTransactions() {
    }

    /** True when {@code config} asks for batches of whole transactions. */
    public static boolean requested(CdcConfig config) {
        return "whole".equals(config.get(CdcConfig.BATCH_TRANSACTIONS));
    }

    /**
     * {@code events}, which hold whole transactions only, with the transaction block of each event
     * that has a {@code source.txId} set; events without one (snapshot reads) are left as they are.
     */
    public static List<ChangeEvent> number(List<ChangeEvent> events) {
        Map<Long, Long> counts = new HashMap<>();
        for (ChangeEvent e : events) {
            Long xid = e.source().txId();
            if (xid != null && !e.source().isSnapshot()) {
                counts.merge(xid, 1L, Long::sum);
            }
        }
        if (counts.isEmpty()) {
            return events;
        }
        Map<Long, Long> orders = new HashMap<>();
        Map<String, Long> tableOrders = new HashMap<>();
        List<ChangeEvent> out = new ArrayList<>(events.size());
        for (ChangeEvent e : events) {
            Long xid = e.source().txId();
            if (xid == null || e.source().isSnapshot()) {
                out.add(e);
                continue;
            }
            long order = orders.merge(xid, 1L, Long::sum);
            long tableOrder = tableOrders.merge(xid + "/" + e.table(), 1L, Long::sum);
            out.add(e.withTransaction(new TransactionInfo(Long.toString(xid), order, tableOrder, counts.get(xid))));
        }
        return out;
    }
}
