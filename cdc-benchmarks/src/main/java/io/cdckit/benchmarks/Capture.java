package io.cdckit.benchmarks;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.SourceStatus;

import java.util.Map;

/** A running capture of the orders table that feeds an {@link EventSink}. */
abstract class Capture implements AutoCloseable {

    /** Starts capturing {@code orders} with {@code strategy} ({@code none} captures nothing). */
    static Capture start(Strategy strategy, Orders orders, EventSink sink) {
        return switch (strategy) {
            case NONE -> new Capture() {
                @Override
                public void close() {
                }

                @Override
                public String toString() {
                    return "no capture";
                }
            };
            case DEBEZIUM_RAW -> RawDebezium.start(orders, sink);
            case TRIGGER_CLASSIC -> ClassicTrigger.install(orders);
            case TRIGGER_NOOP, TRIGGER_FLOOR -> BareTriggers.install(strategy, orders);
            case TRIGGER_ROW_UNREAD, TRIGGER_STATEMENT_UNREAD -> UnreadTriggers.install(strategy, orders);
            default -> new Cdckit(strategy, orders, sink);
        };
    }

    /** Throws when the capture has failed. */
    void checkHealthy() {
    }

    @Override
    public abstract void close();

    /** A cdckit {@link ChangeSource}, created and started through the public API. */
    private static final class Cdckit extends Capture {
        private final ChangeSource source;
        private final Strategy strategy;

        Cdckit(Strategy strategy, Orders orders, EventSink sink) {
            this.strategy = strategy;
            Map<String, String> props = orders.database().cdcProperties();
            props.putAll(strategy.cdcProperties("bench_" + orders.database().name(), Orders.TABLE));
            source = ChangeSources.create(CdcConfig.from(props));
            source.start(batch -> {
                for (ChangeEvent e : batch) {
                    Long ts = e.source().tsMs();
                    sink.accept(((Number) e.key().get("id")).longValue(), ts == null ? -1 : ts);
                }
            });
        }

        @Override
        void checkHealthy() {
            SourceStatus status = source.status();
            if (status.state() == SourceStatus.State.FAILED) {
                throw new IllegalStateException("The " + strategy.paramName() + " source failed", status.failure());
            }
        }

        @Override
        public void close() {
            source.close();
        }

        @Override
        public String toString() {
            return "cdckit " + strategy.paramName() + " source, " + source.status() + ", " + source.metrics();
        }
    }
}
