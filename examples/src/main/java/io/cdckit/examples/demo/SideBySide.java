package io.cdckit.examples.demo;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.Op;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders the demo's console table and per-strategy summary. */
final class SideBySide {

    private SideBySide() {
    }

    /** One line per changed row: the operations each strategy saw for it, in order. */
    static String render(List<StrategyRun> runs) {
        Map<String, Map<String, StringBuilder>> rows = new TreeMap<>(SideBySide::compareRowKeys);
        for (StrategyRun run : runs) {
            for (StrategyRun.Received r : run.received()) {
                ChangeEvent e = r.event();
                String row = e.table().table() + " " + e.key().values().stream().map(String::valueOf)
                        .reduce((a, b) -> a + "," + b).orElse("*");
                rows.computeIfAbsent(row, k -> new LinkedHashMap<>())
                        .computeIfAbsent(run.mode(), k -> new StringBuilder()).append(e.op().code());
            }
        }
        int width = 12;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-16s", "row"));
        runs.forEach(r -> sb.append(String.format("%-" + width + "s", r.mode())));
        sb.append('\n').append("-".repeat(16 + width * runs.size())).append('\n');
        rows.forEach((row, perMode) -> {
            sb.append(String.format("%-16s", row));
            for (StrategyRun r : runs) {
                StringBuilder ops = perMode.get(r.mode());
                sb.append(String.format("%-" + width + "s", ops == null ? "-" : ops.toString()));
            }
            sb.append('\n');
        });
        sb.append("(c insert, u update, d delete, t truncate; - nothing seen)\n");
        return sb.toString();
    }

    private static int compareRowKeys(String a, String b) {
        String[] pa = a.split(" ", 2);
        String[] pb = b.split(" ", 2);
        int c = pa[0].compareTo(pb[0]);
        if (c != 0) {
            return c;
        }
        try {
            return Long.compare(Long.parseLong(pa[1]), Long.parseLong(pb[1]));
        } catch (NumberFormatException e) {
            return pa[1].compareTo(pb[1]);
        }
    }

    /** Events, commit-to-handler latency and what each strategy could not see. */
    static String summary(List<StrategyRun> runs) {
        StringBuilder sb = new StringBuilder("Summary\n");
        int most = runs.stream().mapToInt(r -> countOps(r, Op.UPDATE)).max().orElse(0);
        int mostDeletes = runs.stream().mapToInt(r -> countOps(r, Op.DELETE)).max().orElse(0);
        for (StrategyRun run : runs) {
            List<StrategyRun.Received> all = run.received();
            List<Long> latencies = new ArrayList<>();
            long withBefore = 0;
            for (StrategyRun.Received r : all) {
                Long commit = r.event().source().tsMs();
                if (commit != null) {
                    latencies.add(Math.max(0, r.receivedMs() - commit));
                }
                if (r.event().before() != null) {
                    withBefore++;
                }
            }
            latencies.sort(Comparator.naturalOrder());
            sb.append(String.format("  %-10s %4d events (c %d, u %d, d %d)", run.mode(), all.size(),
                    countOps(run, Op.CREATE), countOps(run, Op.UPDATE), countOps(run, Op.DELETE)));
            if (latencies.isEmpty()) {
                sb.append("; commit→handler latency: commit time not known to this strategy");
            } else {
                sb.append(String.format("; commit→handler latency p50 %d ms, p99 %d ms, max %d ms",
                        pct(latencies, 50), pct(latencies, 99), latencies.get(latencies.size() - 1)));
            }
            sb.append('\n');
            List<String> unseen = new ArrayList<>();
            long changesOfExisting = countOps(run, Op.UPDATE) + countOps(run, Op.DELETE);
            if (changesOfExisting > 0 && withBefore == 0) {
                unseen.add("no before images");
            }
            if (countOps(run, Op.UPDATE) < most) {
                unseen.add((most - countOps(run, Op.UPDATE)) + " intermediate updates collapsed");
            }
            if (countOps(run, Op.DELETE) < mostDeletes) {
                unseen.add((mostDeletes - countOps(run, Op.DELETE)) + " deletes (rows gone before it first saw them)");
            }
            sb.append("             could not see: ").append(unseen.isEmpty() ? "nothing missing" : String.join(", ", unseen))
                    .append('\n');
        }
        return sb.toString();
    }

    private static int countOps(StrategyRun run, Op op) {
        return (int) run.received().stream().filter(r -> r.event().op() == op).count();
    }

    private static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
    }

}
