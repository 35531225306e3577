package io.cdckit.faults;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-strategy table of a fault run: lost, duplicated and out-of-order counts. Printed to
 * stdout and the log, and appended to {@code target/fault-report.txt}.
 */
final class FaultReport {

    private static final Logger LOG = LoggerFactory.getLogger(FaultReport.class);
    private static final String HEADER = String.format("%-12s %-22s %8s %9s %5s %6s %9s %5s %8s %6s %6s",
            "strategy", "faults", "received", "committed", "lost", "dupes", "dupes-out", "order", "invented",
            "recon", "kills");
    private final List<String> rows = new ArrayList<>();
    private final String title;

    FaultReport(String title) {
        this.title = title;
    }

    synchronized void add(Strategy strategy, String faults, DeliveryAnalysis.Result r, long reconnects, int kills) {
        rows.add(String.format("%-12s %-22s %8d %9d %5d %6d %9d %5d %8d %6d %6d", strategy.name().toLowerCase(),
                faults, r.received(), r.committed(), r.lost(), r.duplicated(), r.duplicatesOutsideInFlight(),
                r.outOfOrder(), r.invented(), reconnects, kills));
    }

    synchronized void print() {
        if (rows.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("\n").append(title).append('\n').append(HEADER).append('\n');
        rows.forEach(r -> sb.append(r).append('\n'));
        sb.append("(committed: changes for strategies that see every change, rows for timestamp polling; "
                + "dupes-out: duplicates outside the batch in flight at a kill or reconnect)\n");
        System.out.println(sb);
        LOG.info("{}", sb);
        try {
            Files.writeString(Path.of("target", "fault-report.txt"), sb, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warn("cannot write target/fault-report.txt", e);
        }
    }

    /** True when the longer run was asked for with {@code -Dcdckit.faults.long=true}. */
    static boolean longRun() {
        return Boolean.getBoolean("cdckit.faults.long");
    }
}
