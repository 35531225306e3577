/**
 * The demo: one live shop workload on a throwaway PostgreSQL (or a database you name), captured
 * at the same time by every strategy on the classpath and shown side by side — the operations
 * each strategy saw per changed row, JSON lines of every event, and a summary per strategy of
 * events, commit-to-handler latency and what it could not see. {@link io.cdckit.examples.demo.Demo}
 * is the command line.
 */
package io.cdckit.examples.demo;
