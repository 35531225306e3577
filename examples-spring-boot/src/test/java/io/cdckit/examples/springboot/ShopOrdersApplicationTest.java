package io.cdckit.examples.springboot;

import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Runs the application, on a random port, against a throwaway PostgreSQL: the orders that exist when it
 * starts (initial snapshot) and every change after are counted per status, and Actuator shows the source's
 * health and its {@code cdc.events} meter. The context is closed after the class, which closes the source.
 */
@PostgresTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class ShopOrdersApplicationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private static TestDatabase database;

    @Value("${local.server.port}")
    private int port;

    @BeforeAll
    static void createShop(TestDatabase db) {
        database = db;
        db.execute("CREATE TABLE public.orders (id int PRIMARY KEY, customer text NOT NULL, status text NOT NULL, "
                        + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "INSERT INTO public.orders (id, customer, status) VALUES (1, 'ada', 'paid'), (2, 'grace', 'new')");
    }

    /** The database of the class; the rest of the configuration is the application's {@code application.yml}. */
    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("cdckit.jdbc.url", () -> database.jdbcUrl());
        registry.add("cdckit.jdbc.user", () -> database.user());
        registry.add("cdckit.jdbc.password", () -> database.password());
    }

    private Map<String, Object> get(String path) {
        return RestClient.create("http://localhost:" + port).get().uri(path).retrieve().body(JSON);
    }

    @Test
    void countsOrdersPerStatusAndShowsTheSourcesHealthAndMeters() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get("/orders/status-counts")).isEqualTo(Map.of("new", 1, "paid", 1)));

        database.execute("INSERT INTO public.orders (id, customer, status) VALUES (3, 'alan', 'new'), "
                        + "(4, 'edsger', 'new')",
                "UPDATE public.orders SET status = 'paid' WHERE id = 2",
                "UPDATE public.orders SET status = 'shipped' WHERE id = 1",
                "DELETE FROM public.orders WHERE id = 4");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get("/orders/status-counts")).isEqualTo(Map.of("new", 1, "paid", 1, "shipped", 1)));

        Map<String, Object> health = get("/actuator/health");
        assertThat(health).containsEntry("status", "UP");
        assertThat(health.get("components")).asInstanceOf(InstanceOfAssertFactories.MAP)
                .extractingByKey("cdckit").asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("status", "UP")
                .extractingByKey("details").asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("source", "shop-orders").containsEntry("mode", "trigger")
                .containsEntry("state", "RUNNING").containsEntry("connected", true);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(get("/actuator/metrics/cdc.events?tag=op:update").get("measurements"))
                        .isEqualTo(List.of(Map.of("statistic", "COUNT", "value", 2.0))));
    }
}
