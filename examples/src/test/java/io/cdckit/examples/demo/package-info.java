/**
 * Tests of the demo: the README's first command end to end on a throwaway PostgreSQL with every
 * strategy, the same scaled out on Kafka Connect ({@code --kafka}) with the replica compared to the
 * source, and its command line refusing what it cannot run.
 */
package io.cdckit.examples.demo;
