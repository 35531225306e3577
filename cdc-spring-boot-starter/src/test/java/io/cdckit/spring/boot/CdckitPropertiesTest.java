package io.cdckit.spring.boot;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.TableId;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/**
 * How the {@code cdckit.*} properties of a Spring environment become cdckit's {@code cdc.*} keys, and how a
 * key cdckit rejects is reported. No database needed: nothing here connects.
 */
class CdckitPropertiesTest {

    private static StandardEnvironment environment(PropertySource<?>... sources) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        env.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        for (PropertySource<?> source : sources) {
            env.getPropertySources().addLast(source);
        }
        return env;
    }

    private static PropertySource<?> yaml(String resource) throws IOException {
        List<PropertySource<?>> loaded = new YamlPropertySourceLoader().load(resource, new ClassPathResource(resource));
        return loaded.get(0);
    }

    private static SystemEnvironmentPropertySource variables(Map<String, Object> variables) {
        return new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                variables);
    }

    @Test
    void everyKeyKeepsItsNameDashesAndCaseAndTheStarterKeysStayBehind() {
        StandardEnvironment env = environment(new MapPropertySource("test", Map.of(
                "cdckit.mode", "trigger",
                "cdckit.batch.max-size", "50",
                "cdckit.jdbc.connect-timeout", "5s",
                "cdckit.jdbc.properties.tcpKeepAlive", "true",
                "cdckit.jdbc.properties.sslmode", "require",
                "cdckit.enabled", "true",
                "cdckit.use-application-datasource", "false",
                "spring.application.name", "shop")));

        assertThat(CdckitProperties.cdcValues(env)).containsExactly(
                entry("cdc.batch.max-size", "50"),
                entry("cdc.jdbc.connect-timeout", "5s"),
                entry("cdc.jdbc.properties.sslmode", "require"),
                entry("cdc.jdbc.properties.tcpKeepAlive", "true"),
                entry("cdc.mode", "trigger"));
    }

    @Test
    void aKeyThatIsAlsoThePrefixOfAnotherKeepsBoth() throws IOException {
        StandardEnvironment env = environment(yaml("cdckit-log-test.yml"));

        assertThat(CdckitProperties.cdcValues(env)).containsExactly(
                entry("cdc.log.debezium.slot.drop.on.stop", "false"),
                entry("cdc.log.slot", "orders_slot"),
                entry("cdc.log.slot.max-retained-wal", "1GB"),
                entry("cdc.mode", "log"),
                entry("cdc.tables", "public.orders"));
        assertThat(CdckitProperties.cdcConfig(env).withPrefix("cdc.log.")).containsOnly(entry("slot", "orders_slot"),
                entry("slot.max-retained-wal", "1GB"), entry("debezium.slot.drop.on.stop", "false"));
    }

    @Test
    void yamlNestingAndListsBecomeCdckitKeys() throws IOException {
        StandardEnvironment env = environment(yaml("cdckit-properties-test.yml"));

        assertThat(CdckitProperties.cdcValues(env)).containsOnly(
                entry("cdc.mode", "trigger"),
                entry("cdc.name", "orders-capture"),
                entry("cdc.tables", "public.orders,public.customers"),
                entry("cdc.jdbc.url", "jdbc:postgresql://db.example:5432/shop"),
                entry("cdc.jdbc.properties.sslmode", "verify-full"),
                entry("cdc.jdbc.properties.tcpKeepAlive", "true"),
                entry("cdc.batch.max-size", "250"),
                entry("cdc.trigger.install", "true"));
        CdcConfig config = CdckitProperties.cdcConfig(env);
        assertThat(config.tables())
                .containsExactly(new TableId("public", "orders"), new TableId("public", "customers"));
        assertThat(config.get(CdcConfig.BATCH_MAX_SIZE)).isEqualTo(250);
        assertThat(config.withPrefix("cdc.jdbc.properties.")).containsOnly(entry("sslmode", "verify-full"),
                entry("tcpKeepAlive", "true"));
    }

    @Test
    void environmentVariablesSetDashedKeysAndWinOverTheFile() throws IOException {
        StandardEnvironment env = environment(variables(Map.of(
                        "CDCKIT_BATCH_MAXSIZE", "500",
                        "CDCKIT_JDBC_CONNECTTIMEOUT", "3s",
                        "CDCKIT_JDBC_PASSWORD", "from-the-environment")),
                yaml("cdckit-properties-test.yml"));

        Map<String, String> values = CdckitProperties.cdcValues(env);
        assertThat(values).contains(entry("cdc.batch.max-size", "500"), entry("cdc.jdbc.connect-timeout", "3s"),
                entry("cdc.jdbc.password", "from-the-environment"), entry("cdc.mode", "trigger"));
        assertThat(values).doesNotContainKeys("cdc.batch.maxsize", "cdc.jdbc.connecttimeout");
        CdcConfig config = CdckitProperties.cdcConfig(env);
        assertThat(config.get(CdcConfig.JDBC_CONNECT_TIMEOUT)).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.jdbcPassword()).isEqualTo("from-the-environment");
        assertThat(config.toString()).doesNotContain("from-the-environment");
    }

    @Test
    void anUnknownKeyFailsWithCdckitsMessageAndTheSpringPropertyAndWhereItIsSet() throws IOException {
        StandardEnvironment env = environment(yaml("cdckit-typo-test.yml"));

        assertThatThrownBy(() -> CdckitProperties.cdcConfig(env))
                .isInstanceOf(CdckitPropertiesException.class)
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("Unknown configuration key 'cdc.jdbc.urll': did you mean 'cdc.jdbc.url'?")
                .hasMessageContaining("Set by the Spring property cdckit.jdbc.urll (class path resource "
                        + "[cdckit-typo-test.yml] - 5:11)")
                .satisfies(e -> assertThat(((CdckitPropertiesException) e).springProperties())
                        .containsOnlyKeys("cdc.jdbc.urll"))
                .cause().isInstanceOf(CdcException.class)
                .hasMessage("Unknown configuration key 'cdc.jdbc.urll': did you mean 'cdc.jdbc.url'?");
    }

    @Test
    void anInvalidValueFailsNamingTheKeyAndTheValue() {
        StandardEnvironment env = environment(new MapPropertySource("test", Map.of(
                "cdckit.mode", "trigger",
                "cdckit.tables", "public.orders",
                "cdckit.batch.max-size", "lots")));

        assertThatThrownBy(() -> CdckitProperties.cdcConfig(env))
                .isInstanceOf(CdckitPropertiesException.class)
                .hasMessageContaining("Invalid value 'lots' for configuration key 'cdc.batch.max-size'")
                .hasMessageContaining("Set by the Spring property cdckit.batch.max-size (");
    }

    @Test
    void theFailureAnalysisNamesTheKeyAndTranslatesTheSuggestionToItsProperty() throws IOException {
        StandardEnvironment env = environment(yaml("cdckit-typo-test.yml"));
        CdckitPropertiesException error = null;
        try {
            CdckitProperties.cdcConfig(env);
        } catch (CdckitPropertiesException e) {
            error = e;
        }
        assertThat(error).isNotNull();

        FailureAnalysis analysis = new CdckitFailureAnalyzer().analyze(new IllegalStateException("wrapped", error));

        assertThat(analysis).isNotNull();
        assertThat(analysis.getDescription()).contains("'cdc.jdbc.urll'", "cdckit.jdbc.urll (class path resource");
        assertThat(analysis.getAction()).contains("Did you mean cdckit.jdbc.url?");
    }

    @Test
    void anyOtherCdcExceptionIsReportedWithItsMessage() {
        CdcException startFailure = new CdcException("Table public.orderz does not exist");
        FailureAnalysis analysis = new CdckitFailureAnalyzer().analyze(
                new IllegalStateException("Failed to start bean", startFailure));

        assertThat(analysis).isNotNull();
        assertThat(analysis.getDescription()).contains("Table public.orderz does not exist");
        assertThat(new CdckitFailureAnalyzer().analyze(new IllegalStateException("not ours"))).isNull();
    }
}
