package io.cdckit.benchmarks;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.SourceStatus;
import io.cdckit.logbased.LogState;
import io.cdckit.timestamp.TimestampState;
import io.cdckit.trigger.TriggerInstallation;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One fresh snapshot of the orders table by a {@link SnapshotVariant}, into a
 * {@link SnapshotSink}: a new cdckit source, or a new Debezium engine with a replication slot of
 * its own. {@link #close()} stops it; {@link #dropState()} then removes what it left in the
 * database (slot, publication, triggers and change log, keys seen), so the next snapshot of the
 * table starts from the same state.
 */
abstract class SnapshotCapture implements AutoCloseable {

    /** Debezium's signal table in the Debezium variants' databases. */
    static final String SIGNAL_TABLE = "public.debezium_signal";
    /** The publication of the Debezium variants, created once per database by {@link #prepare}. */
    static final String DEBEZIUM_PUBLICATION = "snapshot_pub";

    /** Prepares a freshly loaded table for {@code variant}: Debezium's publication (and signal table). */
    static void prepare(SnapshotVariant variant, Orders orders) {
        if (variant.kind() == SnapshotVariant.Kind.CDCKIT) {
            return;
        }
        try (Connection c = orders.database().connect(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE public.orders REPLICA IDENTITY FULL");
            if (variant.kind() == SnapshotVariant.Kind.DEBEZIUM_INCREMENTAL) {
                st.execute("CREATE TABLE " + SIGNAL_TABLE
                        + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))");
                st.execute("CREATE PUBLICATION " + DEBEZIUM_PUBLICATION + " FOR TABLE public.orders, " + SIGNAL_TABLE);
            } else {
                st.execute("CREATE PUBLICATION " + DEBEZIUM_PUBLICATION + " FOR TABLE public.orders");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot prepare the table for " + variant.paramName(), e);
        }
    }

    /**
     * Starts a snapshot of {@code orders} by {@code variant} as a new source or engine named
     * {@code name} (a valid replication slot name prefix); returns once it runs.
     */
    static SnapshotCapture start(SnapshotVariant variant, Orders orders, String name, SnapshotSink sink) {
        return switch (variant.kind()) {
            case CDCKIT -> new Cdckit(variant, orders, name, sink);
            case DEBEZIUM_INITIAL, DEBEZIUM_INCREMENTAL -> new Debezium(variant, orders, name, sink);
        };
    }

    /** Throws when the capture has failed. */
    abstract void checkHealthy();

    /** Stops the capture. */
    @Override
    public abstract void close();

    /** After {@link #close()}: removes what the capture left in the database. */
    abstract void dropState();

    /** A cdckit source with {@code cdc.snapshot.mode=initial}, created and started through the public API. */
    private static final class Cdckit extends SnapshotCapture {
        private final SnapshotVariant variant;
        private final CdcConfig config;
        private final ChangeSource source;

        Cdckit(SnapshotVariant variant, Orders orders, String name, SnapshotSink sink) {
            this.variant = variant;
            Map<String, String> props = orders.database().cdcProperties();
            props.putAll(variant.strategy().cdcProperties(name, Orders.TABLE));
            props.put("cdc.snapshot.mode", "initial");
            if (variant.chunkSizeSet() > 0) {
                props.put(CdcConfig.SNAPSHOT_CHUNK_SIZE.name(), String.valueOf(variant.chunkSizeSet()));
            }
            config = CdcConfig.from(props);
            source = ChangeSources.create(config);
            source.start(batch -> {
                for (ChangeEvent e : batch) {
                    if (e.key().get("id") instanceof Number id) {
                        sink.accept(id.longValue(), e.op().code().charAt(0));
                    }
                }
            });
        }

        @Override
        void checkHealthy() {
            SourceStatus status = source.status();
            if (status.state() == SourceStatus.State.FAILED) {
                throw new IllegalStateException("The " + variant.paramName() + " source failed", status.failure());
            }
        }

        @Override
        public void close() {
            source.close();
        }

        @Override
        void dropState() {
            switch (variant.strategy()) {
                case LOG -> retry(() -> LogState.drop(config));
                case TIMESTAMP -> retry(() -> TimestampState.drop(config));
                default -> TriggerInstallation.uninstall(config);
            }
        }

        @Override
        public String toString() {
            return "cdckit " + variant.paramName() + " source, " + source.status() + ", " + source.metrics();
        }
    }

    /** Runs {@code drop}, again for up to 10 s while it fails because the stopped source's session is still going. */
    private static void retry(Runnable drop) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                drop.run();
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    /**
     * Debezium's embedded engine as {@link RawDebezium} runs it, with a slot of its own (dropped
     * when it stops) and the shared publication: {@code snapshot.mode=initial}, or
     * {@code no_data} plus an incremental {@code execute-snapshot} signal once it streams.
     */
    private static final class Debezium extends SnapshotCapture {
        private final SnapshotVariant variant;
        private final Orders orders;
        private final String slot;
        private final RawDebezium engine;

        Debezium(SnapshotVariant variant, Orders orders, String name, SnapshotSink sink) {
            this.variant = variant;
            this.orders = orders;
            this.slot = name + "_slot";
            Map<String, String> overrides = new LinkedHashMap<>();
            overrides.put("publication.name", DEBEZIUM_PUBLICATION);
            overrides.put("slot.drop.on.stop", "true");
            boolean incremental = variant.kind() == SnapshotVariant.Kind.DEBEZIUM_INCREMENTAL;
            if (incremental) {
                overrides.put("snapshot.mode", "no_data");
                overrides.put("signal.data.collection", SIGNAL_TABLE);
                overrides.put("table.include.list", "public\\.orders,public\\.debezium_signal");
                if (variant.chunkSizeSet() > 0) {
                    overrides.put("incremental.snapshot.chunk.size", String.valueOf(variant.chunkSizeSet()));
                }
            } else {
                overrides.put("snapshot.mode", "initial");
            }
            engine = RawDebezium.start(orders, name, overrides, r -> accept(r, sink));
            if (incremental) {
                try {
                    signal(name);
                } catch (RuntimeException e) {
                    engine.close();
                    throw e;
                }
            }
        }

        /** Waits until the engine streams from its slot, then asks for an incremental snapshot of the table. */
        private void signal(String name) {
            try (Connection c = orders.connect()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                    ps.setString(1, slot);
                    while (true) {
                        try (ResultSet rs = ps.executeQuery()) {
                            if (rs.next() && rs.getBoolean(1)) {
                                break;
                            }
                        }
                        engine.checkHealthy();
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("Debezium's slot " + slot + " is not streaming after 60 s");
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO " + SIGNAL_TABLE + " (id, type, data) VALUES (?, 'execute-snapshot', ?)")) {
                    ps.setString(1, name);
                    ps.setString(2, "{\"data-collections\": [\"public.orders\"], \"type\": \"incremental\"}");
                    ps.executeUpdate();
                }
            } catch (SQLException e) {
                throw new IllegalStateException("Cannot signal Debezium's incremental snapshot", e);
            }
        }

        private static void accept(SourceRecord record, SnapshotSink sink) {
            if (!(record.value() instanceof Struct value) || value.schema().field("after") == null) {
                return; // heartbeat and logical decoding messages
            }
            if (!"orders".equals(value.getStruct("source").getString("table"))) {
                return; // the signal table's rows (signals and watermarks)
            }
            String op = value.getString("op");
            Struct row = value.getStruct("d".equals(op) ? "before" : "after");
            sink.accept(row.getInt64("id"), op.charAt(0));
        }

        @Override
        void checkHealthy() {
            engine.checkHealthy();
        }

        @Override
        public void close() {
            engine.close();
        }

        @Override
        void dropState() {
            retry(() -> {
                try (Connection c = orders.connect();
                     PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) "
                             + "FROM pg_replication_slots WHERE slot_name = ?")) {
                    ps.setString(1, slot);
                    ps.execute();
                } catch (SQLException e) {
                    throw new IllegalStateException("Cannot drop Debezium's slot " + slot, e);
                }
            });
        }

        @Override
        public String toString() {
            return "Debezium " + variant.paramName() + " engine, " + engine;
        }
    }
}
