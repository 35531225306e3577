package io.cdckit.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CdcConfigTest {

    private static Map<String, String> minimal() {
        return Map.of("cdc.mode", "queue", "cdc.jdbc.url", "jdbc:postgresql://localhost:5432/shop",
                "cdc.tables", "public.orders");
    }

    @Test
    void fromPropertiesAppliesDefaultsAndParsesTypes() {
        Properties p = new Properties();
        p.putAll(minimal());
        p.setProperty("cdc.poll.interval", "250ms");
        p.setProperty("cdc.batch.max-size", "50");
        CdcConfig c = CdcConfig.from(p);

        assertThat(c.mode()).isEqualTo("queue");
        assertThat(c.name()).isEqualTo("cdckit");
        assertThat(c.get(CdcConfig.POLL_INTERVAL)).isEqualTo(Duration.ofMillis(250));
        assertThat(c.get(CdcConfig.BATCH_MAX_SIZE)).isEqualTo(50);
        assertThat(c.get(CdcConfig.SNAPSHOT_MODE)).isEqualTo("initial");
        assertThat(c.get(CdcConfig.ERRORS_TOLERANCE)).isEqualTo("none");
        assertThat(c.tables()).containsExactly(new TableId("public", "orders"));
        assertThat(c.isSet(CdcConfig.BATCH_MAX_SIZE)).isTrue();
        assertThat(c.isSet(CdcConfig.NAME)).isFalse();
    }

    @Test
    void builderMapAndPropertiesAgree() {
        CdcConfig fromBuilder = CdcConfig.builder().mode("queue").jdbc("jdbc:postgresql://h/db", "u", null)
                .tables("public.orders", "\"Sales\".\"Order Lines\"").build();
        CdcConfig fromMap = CdcConfig.from(Map.of("cdc.mode", "queue", "cdc.jdbc.url", "jdbc:postgresql://h/db",
                "cdc.jdbc.user", "u", "cdc.tables", "public.orders,\"Sales\".\"Order Lines\""));
        assertThat(fromBuilder).isEqualTo(fromMap);
        assertThat(fromBuilder.tables()).containsExactly(new TableId("public", "orders"),
                new TableId("Sales", "Order Lines"));
    }

    @Test
    void durationsAcceptUnitsIsoAndPlainMillis() {
        for (Map.Entry<String, Duration> e : Map.of("5s", Duration.ofSeconds(5), "2m", Duration.ofMinutes(2),
                "PT0.5S", Duration.ofMillis(500), "75", Duration.ofMillis(75), "1h", Duration.ofHours(1)).entrySet()) {
            CdcConfig c = CdcConfig.builder().putAll(minimal()).set("cdc.poll.interval", e.getKey()).build();
            assertThat(c.get(CdcConfig.POLL_INTERVAL)).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void tablesAreNamedOrChosenByPatternAndABadPatternIsNamed() {
        Map<String, String> noTables = new java.util.HashMap<>(minimal());
        noTables.remove("cdc.tables");
        assertThatThrownBy(() -> CdcConfig.from(noTables)).isInstanceOf(CdcException.class)
                .hasMessageContaining("Missing required configuration key 'cdc.tables'")
                .hasMessageContaining("cdc.tables.include");
        CdcConfig byPattern = CdcConfig.builder().putAll(noTables).set("cdc.tables.include", "sales\\..*, crm\\.c.*")
                .build();
        assertThat(byPattern.tables()).isEmpty();
        assertThat(byPattern.get(CdcConfig.TABLES_INCLUDE)).extracting(java.util.regex.Pattern::pattern)
                .containsExactly("sales\\..*", "crm\\.c.*");
        assertThat(io.cdckit.api.jdbc.TablePatterns.of(byPattern).dynamic()).isTrue();
        assertThatThrownBy(() -> CdcConfig.builder().putAll(noTables).set("cdc.tables.include", "sales.(").build())
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.tables.include")
                .hasMessageContaining("'sales.('");
    }

    @Test
    void unknownKeyNamesTheClosestKnownKey() {
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.batch.maxsize", "10").build())
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("Unknown configuration key 'cdc.batch.maxsize'")
                .hasMessageContaining("did you mean 'cdc.batch.max-size'?");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.snapshotmode", "never").build())
                .hasMessageContaining("did you mean 'cdc.snapshot.mode'?");
    }

    @Test
    void unknownKeyFarFromAnyListsKnownKeys() {
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.completely.unrelated.thing", "x")
                .build())
                .hasMessageContaining("Unknown configuration key 'cdc.completely.unrelated.thing'")
                .hasMessageContaining("cdc.batch.max-size");
    }

    @Test
    void strategyKeysFromProvidersAreKnown() {
        CdcConfig c = CdcConfig.builder().putAll(minimal()).set("cdc.queue.name", "q7").build();
        assertThat(c.get(QueueChangeSourceProvider.QUEUE)).isEqualTo("q7");
        assertThat(c.declaredKeys()).extracting(ConfigKey::name).contains("cdc.queue.name", "cdc.mode");
    }

    @Test
    void invalidValueNamesKeyValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.batch.max-size", "0").build())
                .isInstanceOf(CdcException.class)
                .hasMessage("Invalid value '0' for configuration key 'cdc.batch.max-size': expected an integer "
                        + "between 1 and 1000000.");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.snapshot.mode", "always").build())
                .hasMessageContaining("'always'").hasMessageContaining("cdc.snapshot.mode")
                .hasMessageContaining("one of initial, never");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.poll.interval", "soon").build())
                .hasMessageContaining("cdc.poll.interval").hasMessageContaining("100ms, 5s");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.offset.store", "redis").build())
                .hasMessageContaining("memory, file:PATH");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.tables", "public.\"open").build())
                .hasMessageContaining("cdc.tables").hasMessageContaining("unclosed double quote");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal()).set("cdc.jdbc.url", "jdbc:mysql://x/y")
                .build()).hasMessageContaining("jdbc:postgresql://");
    }

    @Test
    void tableNamesThatTryInjectionAreRejected() {
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal())
                .set("cdc.tables", "public.orders; DROP TABLE users").build())
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.tables");
    }

    @Test
    void allProblemsAreReportedTogether() {
        assertThatThrownBy(() -> CdcConfig.from(Map.of("cdc.batch.max-size", "-1", "cdc.polinterval", "1s")))
                .hasMessageContaining("Invalid configuration:")
                .hasMessageContaining("cdc.batch.max-size")
                .hasMessageContaining("did you mean 'cdc.poll.interval'")
                .hasMessageContaining("Missing required configuration key 'cdc.mode'")
                .hasMessageContaining("Missing required configuration key 'cdc.tables'");
    }

    @Test
    void passwordsAreMaskedEverywhere() {
        CdcConfig c = CdcConfig.builder().putAll(minimal())
                .set("cdc.jdbc.url", "jdbc:postgresql://h/db?user=a&password=hunter2&ssl=true")
                .set("cdc.jdbc.password", "s3cr3t-pw").build();
        assertThat(c.toString()).doesNotContain("s3cr3t-pw").doesNotContain("hunter2")
                .contains("cdc.jdbc.password=******").contains("password=******&ssl=true");
        assertThat(c.jdbcPassword()).isEqualTo("s3cr3t-pw");
    }

    @Test
    void anInvalidUrlIsShownWithoutItsPassword() {
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal())
                .set("cdc.jdbc.url", "jdbc:mysql://h/db?user=a&password=hunter2&ssl=true").build())
                .isInstanceOf(CdcException.class).hasMessageContaining("cdc.jdbc.url")
                .hasMessageContaining("password=******&ssl=true").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> CdcConfig.builder().putAll(minimal())
                .set("cdc.jdbc.url", "mysql://a:hunter2@h/db").build())
                .isInstanceOf(CdcException.class).hasMessageNotContaining("hunter2");
    }

    @Test
    void prefixKeysPassThrough() {
        ConfigKey<String> prefix = ConfigKey.prefix("cdc.queue.extra.", "pass-through");
        assertThat(prefix.isPrefix()).isTrue();
        assertThat(prefix.matches("cdc.queue.extra.a.b")).isTrue();
        assertThat(prefix.matches("cdc.queue.extra.")).isFalse();
    }

    @Test
    void editDistanceIsLevenshtein() {
        assertThat(CdcConfig.editDistance("kitten", "sitting")).isEqualTo(3);
        assertThat(CdcConfig.editDistance("", "abc")).isEqualTo(3);
        assertThat(CdcConfig.editDistance("same", "same")).isZero();
    }

    @Test
    void tablesDeduplicateAndKeepOrder() {
        CdcConfig c = CdcConfig.builder().putAll(minimal()).set("cdc.tables", "b.t, a.t ,b.t").build();
        assertThat(c.tables()).isEqualTo(List.of(new TableId("b", "t"), new TableId("a", "t")));
    }
}
