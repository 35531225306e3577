package io.cdckit.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * What a {@link Workload} did. Counts are of committed changes only: a rolled-back transaction's
 * statements count in {@link #transactionsRolledBack()} and nowhere else.
 *
 * @param inserts                rows inserted by committed transactions
 * @param updates                rows updated by committed transactions (a row updated twice counts twice)
 * @param deletes                rows deleted by committed transactions
 * @param transactionsCommitted  committed transactions, including the one that inserts the shared
 *                               hot rows and the long transactions
 * @param transactionsRolledBack transactions that wrote and then rolled back
 * @param duration               from start until the last transaction ended
 * @param rolledBackIds          ids inserted only by rolled-back transactions: they never exist in
 *                               the table and must never appear in a change stream
 */
public record WorkloadResult(long inserts, long updates, long deletes, long transactionsCommitted,
                             long transactionsRolledBack, Duration duration, Set<Long> rolledBackIds) {

    /** Copies the ids. */
    public WorkloadResult {
        Objects.requireNonNull(duration, "duration");
        rolledBackIds = Set.copyOf(rolledBackIds);
    }

    /** Rows the workload added to the table: {@code inserts - deletes}. */
    public long netRows() {
        return inserts - deletes;
    }

    /** Committed row changes: {@code inserts + updates + deletes}. */
    public long changes() {
        return inserts + updates + deletes;
    }

    @Override
    public String toString() {
        return "WorkloadResult[" + inserts + " inserts, " + updates + " updates, " + deletes + " deletes in "
                + transactionsCommitted + " committed transactions, " + transactionsRolledBack + " rolled back, "
                + duration.toMillis() + " ms]";
    }
}
