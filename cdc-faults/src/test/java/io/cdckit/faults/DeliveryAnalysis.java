package io.cdckit.faults;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Judges a received event stream against the history of committed changes, per row (table and
 * key), using the row's {@code updated_at} as its version.
 *
 * <ul>
 *   <li><b>lost</b>: with a strategy that sees every change, committed changes (op and version)
 *       that never arrived; with one that collapses updates, rows whose last committed state (the
 *       last version, or a delete of a row it had delivered) never arrived;</li>
 *   <li><b>duplicated</b>: changes that arrived more than once;</li>
 *   <li><b>outside in-flight</b>: duplicates whose first copy was not in the last batch of an
 *       epoch, i.e. not in the batch in flight when the capture was killed or reconnected;</li>
 *   <li><b>out of order</b>: changes that arrived after a later version of the same row;</li>
 *   <li><b>invented</b>: changes that were never committed.</li>
 * </ul>
 */
final class DeliveryAnalysis {

    record Result(long received, long committed, long lost, long duplicated, long duplicatesOutsideInFlight,
                  long outOfOrder, long invented, List<String> samples) {

        boolean clean() {
            return lost == 0 && duplicatesOutsideInFlight == 0 && outOfOrder == 0 && invented == 0;
        }
    }

    private record RowKey(String table, long id) { }

    private record Change(String op, Instant version) { }

    private DeliveryAnalysis() {
    }

    static Result analyse(List<Received> received, List<FaultTables.Change> history, boolean seesEveryChange) {
        Map<RowKey, List<Change>> committed = new LinkedHashMap<>();
        for (FaultTables.Change c : history) {
            committed.computeIfAbsent(new RowKey(c.table(), c.id()), k -> new ArrayList<>())
                    .add(new Change(c.op(), c.version()));
        }
        Map<Integer, Long> lastBatch = new HashMap<>();
        for (Received r : received) {
            lastBatch.merge(r.epoch(), r.batch(), Math::max);
        }

        Map<RowKey, Map<Change, Received>> seen = new HashMap<>();
        Map<RowKey, Instant> newest = new HashMap<>();
        long duplicated = 0;
        long outside = 0;
        long outOfOrder = 0;
        long invented = 0;
        List<String> samples = new ArrayList<>();
        for (Received r : received) {
            ChangeEvent e = r.event();
            Object id = e.key().get("id");
            if (id == null || e.op() == Op.TRUNCATE) {
                continue;
            }
            RowKey row = new RowKey(e.table().table(), ((Number) id).longValue());
            Change change = new Change(e.op() == Op.READ ? "c" : e.op().code(), version(e));
            Map<Change, Received> rowSeen = seen.computeIfAbsent(row, k -> new HashMap<>());
            Received first = rowSeen.putIfAbsent(change, r);
            if (first != null) {
                duplicated++;
                if (first.batch() != lastBatch.get(first.epoch())) {
                    outside++;
                    sample(samples, "duplicate outside the batch in flight: " + row + " " + change + " first in epoch "
                            + first.epoch() + " batch " + first.batch() + ", again in epoch " + r.epoch() + " batch "
                            + r.batch());
                }
                continue;
            }
            List<Change> rowHistory = committed.getOrDefault(row, List.of());
            boolean known = change.version() == null
                    ? rowHistory.stream().anyMatch(c -> c.op().equals(change.op()))
                    : rowHistory.stream().anyMatch(c -> Objects.equals(c.version(), change.version())
                            && (c.op().equals(change.op()) || !seesEveryChange));
            if (!known) {
                invented++;
                sample(samples, "never committed: " + row + " " + change);
            }
            if (change.version() != null) {
                Instant max = newest.get(row);
                if (max != null && change.version().isBefore(max)) {
                    outOfOrder++;
                    sample(samples, "out of order: " + row + " " + change + " after version " + max);
                } else {
                    newest.put(row, change.version());
                }
            }
        }

        long lost = 0;
        long committedCount = 0;
        for (Map.Entry<RowKey, List<Change>> entry : committed.entrySet()) {
            RowKey row = entry.getKey();
            Map<Change, Received> rowSeen = seen.getOrDefault(row, Map.of());
            List<Change> changes = entry.getValue();
            if (seesEveryChange) {
                committedCount += changes.size();
                for (Change c : changes) {
                    if (!rowSeen.containsKey(c)) {
                        lost++;
                        sample(samples, "lost: " + row + " " + c);
                    }
                }
            } else {
                committedCount++;
                Change last = changes.get(changes.size() - 1);
                boolean arrived = last.op().equals("d")
                        ? rowSeen.isEmpty() || rowSeen.keySet().stream().anyMatch(c -> c.op().equals("d"))
                        : rowSeen.keySet().stream().anyMatch(c -> !c.op().equals("d")
                                && Objects.equals(c.version(), last.version()));
                if (!arrived) {
                    lost++;
                    sample(samples, "last state lost: " + row + " " + last);
                }
            }
        }
        return new Result(received.size(), committedCount, lost, duplicated, outside, outOfOrder, invented, samples);
    }

    /** The row's version: {@code updated_at} after the change, or before it for a delete (null when unknown). */
    private static Instant version(ChangeEvent e) {
        Map<String, Object> image = e.op() == Op.DELETE ? e.before() : e.after();
        return image == null ? null : (Instant) image.get("updated_at");
    }

    private static void sample(List<String> samples, String what) {
        if (samples.size() < 10) {
            samples.add(what);
        }
    }

    static Set<String> tablesOf(List<Received> received) {
        Set<String> out = new HashSet<>();
        received.forEach(r -> out.add(r.event().table().toString()));
        return out;
    }
}
