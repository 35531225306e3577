package io.cdckit.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The CPU time used so far by a set of PostgreSQL backends, read from {@code /proc/<pid>/stat}
 * (user plus system time). Only available when the server runs on this host: a pid that is not a
 * {@code postgres} process here makes the whole reading unavailable rather than wrong.
 */
final class BackendCpu {

    /** Linux reports process times in clock ticks of 1/100 s ({@code USER_HZ}). */
    private static final double MICROS_PER_TICK = 10_000;

    private final List<Long> pids;
    private final boolean available;

    private BackendCpu(List<Long> pids, boolean available) {
        this.pids = pids;
        this.available = available;
    }

    /** The backends with these pids, as seen from this host. */
    static BackendCpu of(List<Long> pids) {
        boolean local = pids.stream().allMatch(BackendCpu::isLocalPostgres);
        return new BackendCpu(List.copyOf(pids), local);
    }

    /** CPU time used by the backends so far, in microseconds; NaN when not available. */
    double micros() {
        if (!available) {
            return Double.NaN;
        }
        long ticks = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // after "pid (comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException | RuntimeException e) {
                return Double.NaN;
            }
        }
        return ticks * MICROS_PER_TICK;
    }

    private static boolean isLocalPostgres(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip().equals("postgres");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
