/**
 * A Spring Boot application on the cdckit starter: {@link io.cdckit.examples.springboot.ShopOrdersApplication}
 * configures the capture of {@code public.orders} in {@code application.yml}, and its
 * {@link io.cdckit.examples.springboot.OrderStatusCounts} change handler keeps the number of orders per status.
 */
package io.cdckit.examples.springboot;
