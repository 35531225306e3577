/**
 * The demo: one live shop workload on a throwaway PostgreSQL (or a database you name), captured
 * at the same time by every strategy on the classpath and shown side by side — the operations
 * each strategy saw per changed row, JSON lines of every event, and a summary per strategy of
 * events, commit-to-handler latency and what it could not see. {@link io.cdckit.examples.demo.Demo}
 * is the command line. With {@code --kafka} it runs scaled out instead ({@code KafkaPipeline}):
 * cdckit's Kafka Connect source connector and Debezium's JDBC sink connector on two in-JVM Connect
 * workers replicate the shop into a second database under concurrent writers ({@code ShopTraffic})
 * while the source task's worker is stopped, and {@code ReplicaComparison} checks the replica
 * against the source table by table.
 */
package io.cdckit.examples.demo;
