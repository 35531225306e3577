package io.cdckit.spring.boot;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.CredentialsProvider;
import io.cdckit.api.DeadLetterHandler;
import io.cdckit.api.OffsetStore;
import io.cdckit.micrometer.ChangeSourceMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

import javax.sql.DataSource;

/**
 * Auto-configuration of a cdckit {@link ChangeSource}, active when the property {@code cdckit.mode} is set
 * (and {@code cdckit.enabled} is not {@code false}).
 *
 * <ul>
 *   <li>{@link CdcConfig} from the {@code cdckit.*} properties, each the {@code cdc.*} key of the same
 *       name ({@link CdckitProperties}); an unknown key or invalid value fails startup with cdckit's message
 *       naming the key.</li>
 *   <li>{@link ChangeSource} built with {@link ChangeSources#builder(CdcConfig)}, with the application's
 *       {@link CredentialsProvider}, {@link OffsetStore} and {@link DeadLetterHandler} beans where it has
 *       them, and its {@link DataSource} bean for the source's short work when
 *       {@code cdckit.use-application-datasource=true}.</li>
 *   <li>{@link CdckitLifecycle}, which starts the source with the application's {@link ChangeHandler} bean
 *       once the context is refreshed and closes it, gracefully, when the context closes.</li>
 *   <li>{@link CdckitHealthIndicator} (health contributor {@code cdckit}) when Spring Boot's health support
 *       (Actuator) is on the classpath, unless {@code management.health.cdckit.enabled=false}.</li>
 *   <li>{@link ChangeSourceMetrics}, a Micrometer {@code MeterBinder} Spring Boot binds to the application's
 *       meter registries, when Micrometer and {@code cdc-micrometer} are on the classpath.</li>
 * </ul>
 *
 * Each bean steps back when the application defines its own of the same type (the health indicator: of
 * the same name, {@code cdckitHealthIndicator}).
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass(ChangeSource.class)
@ConditionalOnProperty(prefix = CdckitProperties.PREFIX, name = "mode")
@ConditionalOnBooleanProperty(name = CdckitProperties.ENABLED, matchIfMissing = true)
public final class CdckitAutoConfiguration {

    /** Used by Spring. */
    public CdckitAutoConfiguration() {
    }

    /**
     * The configuration of the {@code cdckit.*} properties.
     *
     * @throws CdckitPropertiesException when cdckit rejects them
     */
    @Bean
    @ConditionalOnMissingBean
    CdcConfig cdcConfig(Environment environment) {
        return CdckitProperties.cdcConfig(environment);
    }

    /**
     * The source of {@code config}; not connected until {@link CdckitLifecycle} starts it.
     *
     * @throws CdcException when no strategy on the classpath provides {@code cdc.mode}, the strategy rejects
     *                      its keys, or {@code cdckit.use-application-datasource=true} finds no DataSource
     */
    @Bean
    @ConditionalOnMissingBean
    ChangeSource changeSource(CdcConfig config, Environment environment,
                              ObjectProvider<CredentialsProvider> credentials,
                              ObjectProvider<OffsetStore> offsetStores,
                              ObjectProvider<DeadLetterHandler> deadLetterHandlers,
                              ObjectProvider<DataSource> dataSources) {
        ChangeSources.Builder builder = ChangeSources.builder(config);
        credentials.ifAvailable(builder::credentials);
        offsetStores.ifAvailable(builder::offsetStore);
        deadLetterHandlers.ifAvailable(builder::deadLetterHandler);
        if (CdckitProperties.useApplicationDataSource(environment)) {
            DataSource dataSource = dataSources.getIfAvailable();
            if (dataSource == null) {
                throw new CdcException(CdckitProperties.USE_APPLICATION_DATASOURCE + "=true, but the application "
                        + "has no DataSource bean: configure one (e.g. spring.datasource.url with spring-boot-jdbc) "
                        + "or remove " + CdckitProperties.USE_APPLICATION_DATASOURCE + " to let the source pool "
                        + "connections of its own from cdckit.jdbc.*.");
            }
            builder.dataSource(dataSource);
        }
        return builder.build();
    }

    /**
     * Starts {@code source} with the application's {@link ChangeHandler} after the context is refreshed.
     *
     * @throws CdcException when the application has no ChangeHandler bean
     */
    @Bean
    @ConditionalOnMissingBean
    CdckitLifecycle cdckitLifecycle(ChangeSource changeSource, ObjectProvider<ChangeHandler> handlers) {
        ChangeHandler handler = handlers.getIfAvailable();
        if (handler == null) {
            throw new CdcException("cdckit.mode is set, but the application has no bean of type "
                    + ChangeHandler.class.getName() + " to deliver the changes of source '"
                    + changeSource.config().name() + "' to: declare one, e.g. @Bean ChangeHandler changes() "
                    + "{ return batch -> ...; }, or remove cdckit.mode (or set cdckit.enabled=false) to switch the "
                    + "source off.");
        }
        return new CdckitLifecycle(changeSource, handler);
    }

    /** The health indicator, when Spring Boot's health support is on the classpath. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    @ConditionalOnEnabledHealthIndicator("cdckit")
    static final class HealthConfiguration {

        /** Named so that the contributor is {@code cdckit}. */
        @Bean
        @ConditionalOnMissingBean(name = "cdckitHealthIndicator")
        CdckitHealthIndicator cdckitHealthIndicator(ChangeSource changeSource) {
            return new CdckitHealthIndicator(changeSource);
        }
    }

    /** The meters, when Micrometer and cdc-micrometer are on the classpath. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"io.micrometer.core.instrument.binder.MeterBinder",
            "io.cdckit.micrometer.ChangeSourceMetrics"})
    static final class MetricsConfiguration {

        /** A MeterBinder: Spring Boot binds it to every meter registry; closing the context removes the meters. */
        @Bean
        @ConditionalOnMissingBean
        ChangeSourceMetrics cdckitMetrics(ChangeSource changeSource) {
            return new ChangeSourceMetrics(changeSource);
        }
    }
}
