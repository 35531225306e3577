package io.cdckit.spring.boot;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.SourceHealth;
import io.cdckit.micrometer.ChangeSourceMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the auto-configuration creates, when it steps back, and how it fails, without a database: the
 * sources here are never started, or are the application's own fake.
 */
@ExtendWith(OutputCaptureExtension.class)
class CdckitAutoConfigurationTest {

    private static final ChangeHandler IGNORE = batch -> {
    };

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CdckitAutoConfiguration.class));

    @Test
    void withoutCdckitModeNothingIsConfigured() {
        runner.withPropertyValues("cdckit.tables=public.orders").withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(CdcConfig.class).doesNotHaveBean(ChangeSource.class)
                            .doesNotHaveBean(CdckitLifecycle.class);
                });
    }

    @Test
    void cdckitEnabledFalseSwitchesItOff() {
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders", "cdckit.enabled=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ChangeSource.class));
    }

    @Test
    void withoutAChangeHandlerStartupFailsSayingSo() {
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders",
                        "cdckit.jdbc.url=jdbc:postgresql://localhost:1/none")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("no bean of type io.cdckit.api.ChangeHandler")
                        .hasMessageContaining("source 'cdckit'"));
    }

    @Test
    void anUnknownModeFailsListingTheStrategiesOnTheClasspath() {
        runner.withPropertyValues("cdckit.mode=wal2json", "cdckit.tables=public.orders")
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("Unknown cdc.mode 'wal2json'")
                        .hasMessageContaining("timestamp, trigger"));
    }

    @Test
    void anUnknownKeyFailsStartupNamingIt() {
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders",
                        "cdckit.jdbc.urll=jdbc:postgresql://localhost/shop")
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("Unknown configuration key 'cdc.jdbc.urll': "
                                + "did you mean 'cdc.jdbc.url'?"));
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders",
                        "cdckit.trigger.flavour=column")
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasRootCauseInstanceOf(io.cdckit.api.CdcException.class)
                        .rootCause().hasMessageContaining("'cdc.trigger.flavour'").hasMessageContaining("column"));
    }

    @Test
    void useApplicationDataSourceWithoutADataSourceFailsSayingSo() {
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders",
                        "cdckit.use-application-datasource=true")
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("cdckit.use-application-datasource=true, but the application has no "
                                + "DataSource bean"));
    }

    @Test
    void anApplicationsOwnSourceIsStartedWithItsHandlerAndClosedWithTheContext() {
        FakeChangeSource source = new FakeChangeSource();
        ChangeHandler handler = batch -> {
        };
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders")
                .withBean(ChangeSource.class, () -> source.source)
                .withBean(ChangeHandler.class, () -> handler)
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(ChangeSource.class)
                            .hasSingleBean(CdckitLifecycle.class);
                    assertThat(context.getBean(ChangeSource.class)).isSameAs(source.source);
                    assertThat(source.handler).isSameAs(handler);
                    assertThat(context.getBean(CdckitLifecycle.class).isRunning()).isTrue();
                    assertThat(source.closes).hasValue(0);
                });
        assertThat(source.closes).hasPositiveValue();
    }

    @Test
    void pausingTheContextLeavesTheSourceRunningAndAStoppedContextCannotStartItAgain() {
        FakeChangeSource source = new FakeChangeSource();
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders")
                .withBean(ChangeSource.class, () -> source.source)
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> {
                    CdckitLifecycle lifecycle = context.getBean(CdckitLifecycle.class);
                    context.getSourceApplicationContext().pause();
                    assertThat(source.closes).as("closes after a pause").hasValue(0);
                    assertThat(lifecycle.isRunning()).isTrue();
                    context.getSourceApplicationContext().restart();

                    context.stop();
                    assertThat(source.closes).as("closes after stop").hasValue(1);
                    assertThat(lifecycle.isRunning()).isFalse();
                    assertThatThrownBy(context::start).rootCause()
                            .hasMessageContaining("cdckit source 'fake' was closed");
                });
    }

    @Test
    void theHealthIndicatorMapsUpDegradedAndDown() {
        FakeChangeSource source = new FakeChangeSource();
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders")
                .withBean(ChangeSource.class, () -> source.source)
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> {
                    HealthIndicator indicator = context.getBean("cdckitHealthIndicator", HealthIndicator.class);

                    Health up = indicator.health();
                    assertThat(up.getStatus()).isEqualTo(Status.UP);
                    assertThat(up.getDetails()).containsEntry("source", "fake").containsEntry("mode", "trigger")
                            .containsEntry("health", "UP").containsEntry("degraded", false)
                            .containsEntry("state", "RUNNING");

                    List<String> reasons = List.of("the connection was lost and the source is reconnecting");
                    source.health = new SourceHealth(SourceHealth.Status.DEGRADED,
                            Map.of("state", "RECONNECTING", "reasons", reasons));
                    Health degraded = indicator.health();
                    assertThat(degraded.getStatus()).isEqualTo(Status.UP);
                    assertThat(degraded.getDetails()).containsEntry("health", "DEGRADED")
                            .containsEntry("degraded", true).containsEntry("state", "RECONNECTING")
                            .containsEntry("reasons", reasons);

                    source.health = new SourceHealth(SourceHealth.Status.DOWN, Map.of("state", "FAILED",
                            "failure", "Table public.orders does not exist"));
                    Health down = indicator.health();
                    assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(down.getDetails()).containsEntry("health", "DOWN")
                            .containsEntry("failure", "Table public.orders does not exist");
                });
    }

    @Test
    void theApplicationsOwnBeansReplaceTheHealthIndicatorAndTheConfig() {
        HealthIndicator own = () -> Health.outOfService().build();
        CdcConfig config = CdcConfig.builder().mode("trigger").name("own").tables("public.orders").build();
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.ignored")
                .withBean("cdckitHealthIndicator", HealthIndicator.class, () -> own)
                .withBean(CdcConfig.class, () -> config)
                .withBean(ChangeHandler.class, () -> IGNORE)
                .withBean(ChangeSource.class, FakeChangeSource::create)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean("cdckitHealthIndicator")).isSameAs(own);
                    assertThat(context.getBean(CdcConfig.class)).isSameAs(config);
                });
    }

    @Test
    void withoutActuatorAndCdcMicrometerTheirBeansAreLeftOut() {
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class, ChangeSourceMetrics.class))
                .withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders")
                .withBean(ChangeSource.class, FakeChangeSource::create)
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(CdckitLifecycle.class)
                        .doesNotHaveBean("cdckitHealthIndicator").doesNotHaveBean("cdckitMetrics"));
        runner.withPropertyValues("cdckit.mode=trigger", "cdckit.tables=public.orders")
                .withBean(ChangeSource.class, FakeChangeSource::create)
                .withBean(ChangeHandler.class, () -> IGNORE)
                .run(context -> assertThat(context).hasNotFailed().hasBean("cdckitHealthIndicator")
                        .hasSingleBean(ChangeSourceMetrics.class));
    }

    @Test
    void aBadKeyStopsTheApplicationWithAFailureReportNamingIt(CapturedOutput output) {
        SpringApplication app = new SpringApplication(ShopApp.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setDefaultProperties(Map.of("cdckit.mode", "trigger", "cdckit.tables", "public.orders",
                "cdckit.jdbc.urll", "jdbc:postgresql://localhost/shop"));

        assertThatThrownBy(() -> {
            try (ConfigurableApplicationContext ignored = app.run()) {
                // never reached: startup fails
            }
        }).hasRootCauseMessage("Unknown configuration key 'cdc.jdbc.urll': did you mean 'cdc.jdbc.url'?");
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("The cdckit.* properties are not a valid cdckit configuration")
                .contains("Set by the Spring property cdckit.jdbc.urll")
                .contains("Did you mean cdckit.jdbc.url?");
    }

    /** A minimal application with the cdckit auto-configuration only. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(CdckitAutoConfiguration.class)
    static class ShopApp {

        @Bean
        ChangeHandler changes() {
            return IGNORE;
        }
    }
}
