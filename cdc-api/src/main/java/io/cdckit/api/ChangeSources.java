package io.cdckit.api;

import io.cdckit.api.jdbc.SourceConnections;
import io.cdckit.api.spi.ChangeReader;
import io.cdckit.api.spi.ChangeSourceProvider;

import javax.sql.DataSource;
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

    /**
     * Creates a source that borrows its short-lived connections from the application's
     * {@code dataSource} (e.g. a HikariCP pool); see {@link Builder#dataSource}.
     */
    public static ChangeSource create(CdcConfig config, DataSource dataSource) {
        return builder(config).dataSource(dataSource).build();
    }

    /**
     * A builder to pass an own {@link OffsetStore}, {@link DeadLetterHandler}, {@link DataSource}
     * or {@link CredentialsProvider}.
     */
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
        private DataSource dataSource;
        private CredentialsProvider credentials;

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

        /**
         * Borrows the connections for short work (offset store, checks, installs, key
         * reconciliation) from the application's pool instead of a pool of the source's own. The
         * connections that keep session state (replication, LISTEN, advisory locks, snapshot
         * transactions) are opened apart, from {@code cdc.jdbc.url} or, when that is not set, with
         * the URL, user, password and properties of a HikariCP {@code dataSource}. The
         * application closes its DataSource; the source never does.
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** Asks {@code credentials} for the password each time a connection is opened, instead of {@code cdc.jdbc.password}. */
        public Builder credentials(CredentialsProvider credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** Creates the source; nothing connects until {@link ChangeSource#start}. */
        public ChangeSource build() {
            ChangeSourceProvider provider = provider(config.mode());
            SourceConnections connections = SourceConnections.create(config, dataSource, credentials);
            try {
                // validate the strategy's config now, not at start; tables chosen by pattern are known only at
                // start, so such a source makes its first reader then
                ChangeReader first = io.cdckit.api.jdbc.TablePatterns.of(config).dynamic() ? null
                        : provider.createReader(config, connections);
                OffsetStore store = offsetStore != null ? offsetStore : OffsetStores.fromConfig(config, connections);
                DeadLetterHandler dlq = deadLetterHandler != null ? deadLetterHandler : new LoggingDeadLetterHandler();
                return new DeliveringChangeSource(config, first, c -> provider.createReader(c, connections),
                        store, offsetStore == null, dlq, connections);
            } catch (RuntimeException e) {
                connections.close();
                throw e;
            }
        }
    }
}
