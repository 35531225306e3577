package io.cdckit.benchmarks;

import io.cdckit.api.CdcConfig;
import io.debezium.config.CommonConnectorConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The snapshots {@link SnapshotBenchmark} compares, by their {@code @Param} names. cdckit's
 * strategies take their snapshot with {@code cdc.snapshot.mode=initial}: {@code log},
 * {@code trigger} (the default statement flavour) and {@code timestamp} at the default
 * {@code cdc.snapshot.chunk-size}, and {@code trigger-1024} and {@code trigger-16384} at other
 * chunk sizes. Debezium's embedded engine, run as {@link RawDebezium} runs it:
 * {@code debezium-initial} ({@code snapshot.mode=initial}, the whole table in one REPEATABLE READ
 * transaction), {@code debezium-incremental} ({@code snapshot.mode=no_data} and an
 * {@code execute-snapshot} signal of type {@code incremental} in its signal table, at Debezium's
 * default {@code incremental.snapshot.chunk.size}) and {@code debezium-incremental-same-chunk}
 * (the same, with cdckit's default chunk size).
 */
enum SnapshotVariant {
    LOG("log", "log", Kind.CDCKIT, Strategy.LOG, 0),
    TRIGGER("trigger", "trigger", Kind.CDCKIT, Strategy.TRIGGER_STATEMENT, 0),
    TIMESTAMP("timestamp", "timestamp", Kind.CDCKIT, Strategy.TIMESTAMP, 0),
    DEBEZIUM_INITIAL("debezium-initial", "debeziumInitial", Kind.DEBEZIUM_INITIAL, Strategy.DEBEZIUM_RAW, 0),
    DEBEZIUM_INCREMENTAL("debezium-incremental", "debeziumIncremental", Kind.DEBEZIUM_INCREMENTAL,
            Strategy.DEBEZIUM_RAW, 0),
    DEBEZIUM_INCREMENTAL_SAME_CHUNK("debezium-incremental-same-chunk", "debeziumIncrementalSameChunk",
            Kind.DEBEZIUM_INCREMENTAL, Strategy.DEBEZIUM_RAW, cdckitChunkSize()),
    TRIGGER_1024("trigger-1024", "trigger1024", Kind.CDCKIT, Strategy.TRIGGER_STATEMENT, 1024),
    TRIGGER_16384("trigger-16384", "trigger16384", Kind.CDCKIT, Strategy.TRIGGER_STATEMENT, 16384);

    /** How a variant takes its snapshot. */
    enum Kind {
        CDCKIT, DEBEZIUM_INITIAL, DEBEZIUM_INCREMENTAL
    }

    private final String paramName;
    private final String counterPrefix;
    private final Kind kind;
    private final Strategy strategy;
    private final int chunkSize;

    SnapshotVariant(String paramName, String counterPrefix, Kind kind, Strategy strategy, int chunkSize) {
        this.paramName = paramName;
        this.counterPrefix = counterPrefix;
        this.kind = kind;
        this.strategy = strategy;
        this.chunkSize = chunkSize;
    }

    String paramName() {
        return paramName;
    }

    /** The prefix of this variant's counters, e.g. {@code debeziumInitial} in {@code debeziumInitialIdleRowsPerSecond}. */
    String counterPrefix() {
        return counterPrefix;
    }

    Kind kind() {
        return kind;
    }

    /** The strategy whose table and configuration this variant uses ({@code debezium-raw} for Debezium's). */
    Strategy strategy() {
        return strategy;
    }

    /** The chunk size this variant sets, or 0 when it keeps its engine's default. */
    int chunkSizeSet() {
        return chunkSize;
    }

    /** The chunk size the snapshot reads with; 0 for Debezium's initial snapshot, which reads in one query. */
    int effectiveChunkSize() {
        if (chunkSize > 0) {
            return chunkSize;
        }
        return switch (kind) {
            case CDCKIT -> cdckitChunkSize();
            case DEBEZIUM_INCREMENTAL -> debeziumChunkSize();
            case DEBEZIUM_INITIAL -> 0;
        };
    }

    /** {@code cdc.snapshot.chunk-size}'s default. */
    static int cdckitChunkSize() {
        return CdcConfig.SNAPSHOT_CHUNK_SIZE.defaultValue();
    }

    /** {@code incremental.snapshot.chunk.size}'s default. */
    static int debeziumChunkSize() {
        return Integer.parseInt(CommonConnectorConfig.INCREMENTAL_SNAPSHOT_CHUNK_SIZE.defaultValueAsString());
    }

    static SnapshotVariant of(String paramName) {
        for (SnapshotVariant v : values()) {
            if (v.paramName.equals(paramName)) {
                return v;
            }
        }
        List<String> names = new ArrayList<>();
        for (SnapshotVariant v : values()) {
            names.add(v.paramName);
        }
        throw new IllegalArgumentException("Unknown snapshot variant '" + paramName + "': use " + String.join(", ", names));
    }

    /** The variants of a comma-separated list of names. */
    static List<SnapshotVariant> list(String commaSeparated) {
        List<SnapshotVariant> out = new ArrayList<>();
        for (String name : commaSeparated.split(",")) {
            if (!name.isBlank()) {
                SnapshotVariant v = of(name.strip());
                if (!out.contains(v)) {
                    out.add(v);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("No snapshot variant given");
        }
        return out;
    }
}
