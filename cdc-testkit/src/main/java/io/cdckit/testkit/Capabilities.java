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
 */
public record Capabilities(boolean beforeImage, boolean deletes, boolean everyIntermediateUpdate,
                           boolean truncate, boolean snapshots) {

    /** A strategy that takes snapshots, seeing what the flags say. */
    public Capabilities(boolean beforeImage, boolean deletes, boolean everyIntermediateUpdate, boolean truncate) {
        this(beforeImage, deletes, everyIntermediateUpdate, truncate, true);
    }

    /** This strategy, without snapshots. */
    public Capabilities withoutSnapshots() {
        return new Capabilities(beforeImage, deletes, everyIntermediateUpdate, truncate, false);
    }

    /** A strategy that sees everything. */
    public static Capabilities all() {
        return new Capabilities(true, true, true, true);
    }
}
