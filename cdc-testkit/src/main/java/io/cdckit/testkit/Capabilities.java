package io.cdckit.testkit;

/**
 * What a strategy can see, declared by each strategy's contract test. The contract checks
 * exactly these: what a strategy claims must arrive; what it does not claim is not expected.
 *
 * @param beforeImage             updates and deletes carry the complete row before the change
 * @param deletes                 deletes arrive as op d with the row's key
 * @param everyIntermediateUpdate every committed update arrives, not only the latest row state
 * @param truncate                TRUNCATE arrives as op t
 * @param snapshots               {@code cdc.snapshot.mode=initial} reads the existing rows as op r
 * @param partitionsAndRowFilters partitioned tables and {@code cdc.filter.*} work (every real strategy; test doubles
 *                                may not)
 * @param transactions            {@code cdc.batch.transactions=whole} gives batches of whole transactions (else the
 *                                strategy refuses it)
 * @param tablePatterns           {@code cdc.tables.include} captures matching tables, those created later included
 *                                (every real strategy; test doubles may not)
 */
public record Capabilities(boolean beforeImage, boolean deletes, boolean everyIntermediateUpdate,
                           boolean truncate, boolean snapshots, boolean partitionsAndRowFilters,
                           boolean transactions, boolean tablePatterns) {

    /** A strategy that takes snapshots, filters rows, sees transactions and follows table patterns, seeing what the flags say. */
    public Capabilities(boolean beforeImage, boolean deletes, boolean everyIntermediateUpdate, boolean truncate) {
        this(beforeImage, deletes, everyIntermediateUpdate, truncate, true, true, true, true);
    }

    /**
     * This strategy, without snapshots, partitioned tables, row filters, transactions and table
     * patterns (the test-only in-memory strategy).
     */
    public Capabilities withoutSnapshots() {
        return new Capabilities(beforeImage, deletes, everyIntermediateUpdate, truncate, false, false, false, false);
    }

    /** This strategy, not seeing transactions (it refuses {@code cdc.batch.transactions=whole}). */
    public Capabilities withoutTransactions() {
        return new Capabilities(beforeImage, deletes, everyIntermediateUpdate, truncate, snapshots,
                partitionsAndRowFilters, false, tablePatterns);
    }

    /** A strategy that sees everything. */
    public static Capabilities all() {
        return new Capabilities(true, true, true, true);
    }
}
