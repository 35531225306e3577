package io.cdckit.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application that follows the orders of a shop database through cdckit: the starter
 * captures {@code public.orders} as {@code application.yml} configures ({@code cdckit.*}), and
 * {@link OrderStatusCounts} keeps how many orders are in each status, served at
 * {@code GET /orders/status-counts}; Actuator shows the source's health ({@code /actuator/health}, component
 * {@code cdckit}) and its meters ({@code /actuator/metrics/cdc.events}).
 */
@SpringBootApplication
public class ShopOrdersApplication {

    /**
     * Starts the application. The database comes from {@code application.yml}, or from environment variables
     * such as {@code SHOP_DB_URL}, {@code SHOP_DB_USER} and {@code CDCKIT_JDBC_PASSWORD}.
     *
     * @param args Spring Boot's command line, e.g. {@code --cdckit.jdbc.url=jdbc:postgresql://db:5432/shop}
     */
    public static void main(String[] args) {
        SpringApplication.run(ShopOrdersApplication.class, args);
    }
}
