package io.cdckit.api;

import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Entry point: creates the {@link ChangeSource} of the strategy named by {@code cdc.mode}.
 *
 * <pre>{@code
 * ChangeSource source = ChangeSources.create(CdcConfig.from(properties));
 * }</pre>
 *
 * <p>Strategies are found with {@link ServiceLoader} ({@link ChangeSourceProvider}); adding a
 * strategy module to the classpath makes its mode available.
 */
public final class ChangeSources {

    private ChangeSources() {
    }

    /**
     * Creates a source for {@code config}, with the offset store named by {@code cdc.offset.store}
     * and the default dead-letter handler (which logs the batch).
     *
     * @throws CdcException when no strategy on the classpath provides {@code cdc.mode}; the
     *                      message lists the modes that are available
     */
    public static ChangeSource create(CdcConfig config) {
        return builder(config).build();
    }

    /** A builder to pass an own {@link OffsetStore} or {@link DeadLetterHandler}. */
    public static Builder builder(CdcConfig config) {
        return new Builder(config);
    }

    /** The modes of the strategies on the classpath, sorted. */
    public static List<String> availableModes() {
        TreeSet<String> modes = new TreeSet<>();
        for (ChangeSourceProvider p : providers()) {
            modes.add(p.mode());
        }
        return List.copyOf(modes);
    }

    static List<ChangeSourceProvider> providers() {
        List<ChangeSourceProvider> list = new ArrayList<>();
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        ServiceLoader<ChangeSourceProvider> loader = cl == null
                ? ServiceLoader.load(ChangeSourceProvider.class)
                : ServiceLoader.load(ChangeSourceProvider.class, cl);
        loader.forEach(list::add);
        return list;
    }

    static ChangeSourceProvider provider(String mode) {
        for (ChangeSourceProvider p : providers()) {
            if (p.mode().equals(mode)) {
                return p;
            }
        }
        List<String> modes = availableModes();
        throw new CdcException("Unknown cdc.mode '" + mode + "': "
                + (modes.isEmpty()
                ? "no capture strategy is on the classpath; add a dependency on cdc-logbased, cdc-trigger or cdc-timestamp."
                : "the strategies on the classpath provide " + String.join(", ", modes) + "."));
    }

    /**
     * Builds a {@link ChangeSource} with optional collaborators.
     */
    public static final class Builder {
        private final CdcConfig config;
        private OffsetStore offsetStore;
        private DeadLetterHandler deadLetterHandler;

        private Builder(CdcConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Uses this store instead of the one {@code cdc.offset.store} names. */
        public Builder offsetStore(OffsetStore store) {
            this.offsetStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /** Receives batches the handler kept failing on, when {@code cdc.errors.tolerance=all}. */
        public Builder deadLetterHandler(DeadLetterHandler handler) {
            this.deadLetterHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Creates the source; nothing connects until {@link ChangeSource#start}. */
        public ChangeSource build() {
            ChangeSourceProvider provider = provider(config.mode());
            // validate the strategy's config now, not at start
            ChangeReader first = provider.createReader(config);
            OffsetStore store = offsetStore != null ? offsetStore : OffsetStores.fromConfig(config);
            DeadLetterHandler dlq = deadLetterHandler != null ? deadLetterHandler : new LoggingDeadLetterHandler();
            return new DeliveringChangeSource(config, first, () -> provider.createReader(config), store,
                    offsetStore == null, dlq);
        }
    }
}
