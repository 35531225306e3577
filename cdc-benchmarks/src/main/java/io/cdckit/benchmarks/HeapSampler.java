package io.cdckit.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * Samples the heap every few milliseconds on a daemon thread and keeps the peaks: heap in use
 * (live and not yet collected objects) and heap in use just after a collection (the live set).
 */
final class HeapSampler implements AutoCloseable {

    private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).toList();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long peakUsed;
    private volatile long peakAfterGc;

    HeapSampler() {
        thread = new Thread(this::run, "heap-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            sample();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() {
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long afterGc = 0;
        for (MemoryPoolMXBean p : heapPools) {
            MemoryUsage u = p.getCollectionUsage();
            if (u != null) {
                afterGc += u.getUsed();
            }
        }
        if (used > peakUsed) {
            peakUsed = used;
        }
        if (afterGc > peakAfterGc) {
            peakAfterGc = afterGc;
        }
    }

    long peakUsedBytes() {
        return peakUsed;
    }

    long peakAfterGcBytes() {
        return peakAfterGc;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }
}
