package io.cdckit.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdckit.api.jdbc.SourceConnections;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Signals an operator sends without Java: rows inserted into the table {@code cdc.signal.table}
 * names (created if missing), read every {@code cdc.signal.interval}, marked processed with a
 * result once they took effect. The one signal, like Debezium's:
 *
 * <pre>{@code
 * INSERT INTO cdckit.cdc_signals (source_name, type, data)
 * VALUES ('shop', 'execute-snapshot', '{"data-collections": ["public.orders"]}');
 * }</pre>
 *
 * <p>A snapshot signal is marked processed only after a position that holds the snapshot was
 * committed, so a crash in between makes it come again instead of losing it.
 */
final class SignalTable {

    private static final Logger LOG = LoggerFactory.getLogger(SignalTable.class);

    /** What a source does with a snapshot signal. */
    @FunctionalInterface
    interface SnapshotSink {
        void request(List<TableId> tables, Runnable onCommitted, java.util.function.Consumer<String> onRefused);
    }

    private final String sourceName;
    private final TableId table;
    private final Jdbi jdbi;
    private final long intervalNanos;
    private final Set<Long> inFlight = new HashSet<>();
    private long lastCheck;
    private boolean ready;

    SignalTable(String sourceName, TableId table, SourceConnections connections, Duration interval) {
        this.sourceName = sourceName;
        this.table = table;
        this.jdbi = PositionalSqlParser.jdbi(connections.pooled());
        this.intervalNanos = interval.toNanos();
    }

    /** Reads new signals when the interval passed; failures are logged, never fatal. */
    void check(SnapshotSink sink) {
        long now = System.nanoTime();
        if (lastCheck != 0 && now - lastCheck < intervalNanos) {
            return;
        }
        lastCheck = now;
        try {
            if (!ready) {
                jdbi.useHandle(h -> {
                    h.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(table.schema()));
                    h.execute("CREATE TABLE IF NOT EXISTS " + table.quoted() + " (id bigint GENERATED ALWAYS AS "
                            + "IDENTITY PRIMARY KEY, source_name text NOT NULL, type text NOT NULL, data jsonb NOT NULL "
                            + "DEFAULT '{}', requested_at timestamptz NOT NULL DEFAULT now(), processed_at timestamptz, "
                            + "result text)");
                });
                ready = true;
            }
            List<Signal> signals = jdbi.withHandle(h -> h.createQuery("SELECT id, type, data::text FROM "
                            + table.quoted() + " WHERE source_name = ? AND processed_at IS NULL ORDER BY id")
                    .bind(0, sourceName)
                    .map((rs, ctx) -> new Signal(rs.getLong(1), rs.getString(2), rs.getString(3))).list());
            for (Signal s : signals) {
                if (inFlight.add(s.id())) {
                    handle(s, sink);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Source '{}' could not read its signal table {}: {}", sourceName, table, e.getMessage());
        }
    }

    private record Signal(long id, String type, String data) {
    }

    private void handle(Signal s, SnapshotSink sink) {
        if (!"execute-snapshot".equals(s.type())) {
            done(s, "ignored: unknown signal type '" + s.type() + "' (known: execute-snapshot)");
            return;
        }
        List<TableId> tables = new ArrayList<>();
        try {
            JsonNode collections = ChangeEventJson.mapper().readTree(s.data()).path("data-collections");
            for (JsonNode n : collections) {
                tables.add(TableId.parse(n.asText()));
            }
            if (tables.isEmpty()) {
                throw new IllegalArgumentException("data has no \"data-collections\": [\"schema.table\", ...]");
            }
            LOG.info("Source '{}' received signal {}: snapshot of {}", sourceName, s.id(), tables);
            sink.request(tables, () -> done(s, "snapshot of " + tables + " begun"),
                    reason -> done(s, "refused: " + reason));
        } catch (Exception e) {
            done(s, "refused: " + e.getMessage());
        }
    }

    private void done(Signal s, String result) {
        try {
            jdbi.useHandle(h -> h.createUpdate("UPDATE " + table.quoted() + " SET processed_at = now(), result = ? "
                    + "WHERE id = ?").bind(0, result).bind(1, s.id()).execute());
            LOG.info("Source '{}' processed signal {}: {}", sourceName, s.id(), result);
        } catch (RuntimeException e) {
            LOG.warn("Source '{}' could not mark signal {} processed ({}): it will be read again", sourceName, s.id(),
                    e.getMessage());
            inFlight.remove(s.id());
        }
    }
}
