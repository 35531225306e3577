package io.cdckit.faults;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** Waits until a received stream holds every committed change, then lets stragglers arrive. */
final class Convergence {

    private Convergence() {
    }

    interface Check {
        /** Fails fast when the capture died. */
        void alive();
    }

    static List<Received> await(Callable<List<Received>> received, FaultTables tables, Strategy strategy,
                                Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            check.alive();
            List<Received> now = received.call();
            DeliveryAnalysis.Result r = DeliveryAnalysis.analyse(now, tables.history(), strategy.seesEveryChange);
            if (r.lost() == 0 || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(500);
        }
        Thread.sleep(1000);
        return received.call();
    }
}
