package io.cdckit.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeEventJson;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.CredentialsProvider;
import io.cdckit.api.Op;
import io.cdckit.testkit.PostgresTest;
import io.cdckit.testkit.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The starter against a real PostgreSQL: a context with {@code cdckit.*} properties captures a table with
 * the trigger strategy and hands the changes to the application's {@link ChangeHandler} bean, reports
 * health and meters, asks the application's {@link CredentialsProvider} for the password, finishes and
 * commits the batch in flight when it closes and leaves no session behind; the timestamp strategy borrows
 * the application's DataSource (for its JDBC offset store) with {@code cdckit.use-application-datasource=true}.
 */
@PostgresTest
class PostgresStarterTest {

    private static final Duration DELIVERY = Duration.ofSeconds(30);

    private TestDatabase db;

    @BeforeEach
    void setUp(TestDatabase database) {
        this.db = database;
    }

    private void createTable(String table) {
        db.execute("DROP TABLE IF EXISTS public." + table,
                "CREATE TABLE public." + table + " (id int PRIMARY KEY, status text NOT NULL, "
                        + "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }

    /** A context capturing {@code table} with the trigger strategy as source {@code name}, with health and meters. */
    private ApplicationContextRunner trigger(String name, String table) {
        List<String> properties = new ArrayList<>(List.of("cdckit.mode=trigger", "cdckit.trigger.install=true",
                "cdckit.name=" + name, "cdckit.tables=public." + table, "cdckit.snapshot.mode=never",
                "cdckit.poll.interval=20ms"));
        db.cdcProperties().forEach((key, value) -> properties.add("cdckit." + key.substring("cdc.".length()) + "="
                + value));
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CdckitAutoConfiguration.class,
                        MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                        SimpleMetricsExportAutoConfiguration.class, HealthContributorAutoConfiguration.class,
                        HealthContributorRegistryAutoConfiguration.class))
                .withPropertyValues(properties.toArray(String[]::new));
    }

    /** How many sessions of source {@code name} the database has: cdckit names them {@code cdckit:<name>}. */
    private int sessions(String name) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = ? AND application_name = ?")) {
            ps.setString(1, db.name());
            ps.setString(2, "cdckit:" + name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static int id(ChangeEvent e) {
        return ((Number) e.key().get("id")).intValue();
    }

    private static double events(MeterRegistry registry, String name, String table, String op) {
        return registry.get("cdc.events").tag("source", name).tag("table", "public." + table).tag("op", op)
                .functionCounter().count();
    }

    @Test
    void triggerModeDeliversToTheHandlerBeanReportsHealthAndMetersAndClosesItsSessions() {
        String name = "boot_trigger";
        String table = "orders_trigger";
        createTable(table);
        List<ChangeEvent> received = new CopyOnWriteArrayList<>();
        AtomicInteger passwordsAsked = new AtomicInteger();
        String password = db.password();
        trigger(name, table)
                .withPropertyValues("cdckit.jdbc.password=")
                .withBean(CredentialsProvider.class, () -> user -> {
                    passwordsAsked.incrementAndGet();
                    return password;
                })
                .withBean(ChangeHandler.class, () -> received::addAll)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(sessions(name)).as("sessions of the running source").isPositive();
                    assertThat(passwordsAsked).as("the CredentialsProvider bean was asked").hasPositiveValue();

                    db.execute("INSERT INTO public." + table + " (id, status) VALUES (1, 'new'), (2, 'new'), "
                                    + "(3, 'new')",
                            "UPDATE public." + table + " SET status = 'paid' WHERE id = 1",
                            "DELETE FROM public." + table + " WHERE id = 3");
                    await().atMost(DELIVERY).until(() -> received.size() >= 5);
                    assertThat(received).extracting(ChangeEvent::op)
                            .containsExactly(Op.CREATE, Op.CREATE, Op.CREATE, Op.UPDATE, Op.DELETE);
                    ChangeEvent update = received.get(3);
                    assertThat(update.before()).containsEntry("status", "new");
                    assertThat(update.after()).containsEntry("status", "paid");
                    // cdc-api's Jackson 2, in the version Spring Boot's dependency management brings
                    String json = ChangeEventJson.write(update);
                    assertThat(json).contains("\"op\":\"u\"");
                    assertThat(ChangeEventJson.write(ChangeEventJson.read(json))).isEqualTo(json);

                    HealthIndicator indicator = context.getBean("cdckitHealthIndicator", HealthIndicator.class);
                    assertThat(context.getBean(HealthContributorRegistry.class).getContributor("cdckit"))
                            .isSameAs(indicator);
                    Health health = indicator.health();
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails()).containsEntry("source", name).containsEntry("mode", "trigger")
                            .containsEntry("health", "UP").containsEntry("state", "RUNNING")
                            .containsEntry("connected", true).containsEntry("eventsDelivered", 5L)
                            .containsKeys("lagMs", "pendingEntries", "reasons");

                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                        assertThat(events(registry, name, table, "create")).isEqualTo(3.0);
                        assertThat(events(registry, name, table, "update")).isEqualTo(1.0);
                        assertThat(events(registry, name, table, "delete")).isEqualTo(1.0);
                    });
                });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(sessions(name)).as("sessions after the context closed").isZero());
    }

    @Test
    void closingTheContextFinishesAndCommitsTheBatchInFlight() throws InterruptedException {
        String name = "boot_graceful";
        String table = "orders_graceful";
        createTable(table);
        CountDownLatch entered = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        List<ChangeEvent> first = new CopyOnWriteArrayList<>();
        ChangeHandler slow = batch -> {
            first.addAll(batch);
            entered.countDown();
            Thread.sleep(1_500);
            finished.set(true);
        };
        ApplicationContextRunner runner = trigger(name, table).withPropertyValues("cdckit.offset.store=jdbc");

        runner.withBean(ChangeHandler.class, () -> slow).run(context -> {
            assertThat(context).hasNotFailed();
            db.execute("INSERT INTO public." + table + " (id, status) VALUES (1, 'new')");
            assertThat(entered.await(DELIVERY.toSeconds(), TimeUnit.SECONDS)).as("the handler got the batch").isTrue();
        });
        assertThat(finished).as("closing the context waited for the handler").isTrue();
        assertThat(first).extracting(PostgresStarterTest::id).containsExactly(1);

        List<ChangeEvent> second = new CopyOnWriteArrayList<>();
        runner.withBean(ChangeHandler.class, () -> second::addAll).run(context -> {
            assertThat(context).hasNotFailed();
            db.execute("INSERT INTO public." + table + " (id, status) VALUES (2, 'new')");
            await().atMost(DELIVERY).until(() -> second.stream().anyMatch(e -> id(e) == 2));
        });
        assertThat(second).as("the batch in flight was committed: not delivered again")
                .extracting(PostgresStarterTest::id).containsExactly(2);
    }

    @Test
    void logModeDeliversThroughDebeziumWithSpringBootsDependencyManagement() {
        String name = "boot_log";
        String table = "orders_log";
        createTable(table);
        List<ChangeEvent> received = new CopyOnWriteArrayList<>();
        List<String> properties = new ArrayList<>(List.of("cdckit.mode=log", "cdckit.name=" + name,
                "cdckit.tables=public." + table, "cdckit.snapshot.mode=never", "cdckit.poll.interval=20ms"));
        db.cdcProperties().forEach((key, value) -> properties.add("cdckit." + key.substring("cdc.".length()) + "="
                + value));
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CdckitAutoConfiguration.class))
                .withPropertyValues(properties.toArray(String[]::new))
                .withBean(ChangeHandler.class, () -> received::addAll)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    db.execute("INSERT INTO public." + table + " (id, status) VALUES (1, 'new')",
                            "UPDATE public." + table + " SET status = 'paid' WHERE id = 1");
                    await().atMost(DELIVERY).until(() -> received.size() >= 2);
                    assertThat(received).extracting(ChangeEvent::op).containsExactly(Op.CREATE, Op.UPDATE);
                    assertThat(received.get(1).before()).containsEntry("status", "new");
                    assertThat(context.getBean("cdckitHealthIndicator", HealthIndicator.class).health().getStatus())
                            .isEqualTo(Status.UP);
                });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(sessions(name)).isZero());
    }

    @Test
    void timestampModeBorrowsTheApplicationsDataSource() {
        String name = "boot_timestamp";
        String table = "orders_timestamp";
        createTable(table);
        List<ChangeEvent> received = new CopyOnWriteArrayList<>();
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CdckitAutoConfiguration.class,
                        DataSourceAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=" + db.jdbcUrl(),
                        "spring.datasource.username=" + db.user(),
                        "spring.datasource.password=" + db.password(),
                        "spring.datasource.hikari.minimum-idle=0",
                        "cdckit.mode=timestamp", "cdckit.name=" + name, "cdckit.tables=public." + table,
                        "cdckit.snapshot.mode=never", "cdckit.poll.interval=20ms", "cdckit.offset.store=jdbc",
                        "cdckit.use-application-datasource=true")
                .withBean(ChangeHandler.class, () -> received::addAll)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    db.execute("INSERT INTO public." + table + " (id, status) VALUES (1, 'new'), (2, 'paid')");
                    await().atMost(DELIVERY).until(() -> received.size() >= 2);
                    assertThat(received).extracting(PostgresStarterTest::id).containsExactly(1, 2);
                    assertThat(context.getBean(ChangeSource.class).config().mode()).isEqualTo("timestamp");
                    DataSource dataSource = context.getBean(DataSource.class);
                    // the pool starts on its first borrowed connection: the source's offset store was the only user
                    assertThat(dataSource).isInstanceOf(HikariDataSource.class);
                    assertThat(((HikariDataSource) dataSource).getHikariPoolMXBean())
                            .as("the application's pool, started by the source borrowing from it").isNotNull()
                            .satisfies(pool -> assertThat(pool.getTotalConnections()).isPositive());
                    assertThat(context.getBean("cdckitHealthIndicator", HealthIndicator.class).health().getStatus())
                            .isEqualTo(Status.UP);
                });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(sessions(name)).isZero());
    }
}
