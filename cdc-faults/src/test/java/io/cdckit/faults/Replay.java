package io.cdckit.faults;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.TableId;
import io.cdckit.testkit.ReplicaVerifier;
import io.cdckit.testkit.Verification;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Applies a received stream, duplicates and all, to fresh copies of the captured tables and
 * compares them with the source: at-least-once delivery of full row images in per-row order must
 * converge to the source.
 */
final class Replay {

    private Replay() {
    }

    static List<Verification> verify(Callable<Connection> connections, List<TableId> tables, List<Received> received) {
        List<Verification> out = new ArrayList<>();
        for (TableId t : tables) {
            try (ReplicaVerifier replica = ReplicaVerifier.create(connections, t, "replica")) {
                List<ChangeEvent> chunk = new ArrayList<>();
                for (Received r : received) {
                    if (!r.event().table().equals(t)) {
                        continue;
                    }
                    chunk.add(r.event());
                    if (chunk.size() >= 200) {
                        replica.apply(chunk);
                        chunk.clear();
                    }
                }
                replica.apply(chunk);
                out.add(replica.verify());
            }
        }
        return out;
    }
}
