/**
 * JMH benchmarks that compare the strategies, raw Debezium and their bounds on one machine, as
 * ratios within one run, and the report that turns their results into the benchmark page.
 */
package io.cdckit.benchmarks;
