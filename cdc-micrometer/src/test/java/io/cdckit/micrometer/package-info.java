/**
 * Tests of the Micrometer binder: against a source whose numbers the test sets, and against a running
 * source of every strategy, bound to a simple and a Prometheus registry.
 */
package io.cdckit.micrometer;
