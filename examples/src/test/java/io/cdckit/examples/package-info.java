/**
 * Tests of the examples against changes captured from a real PostgreSQL, each run once per
 * strategy with the same example code ({@link io.cdckit.examples.EveryMode}). Where a strategy
 * sees less — timestamp polling has no before image, collapses the updates between two polls,
 * finds hard deletes by key reconciliation and does not see TRUNCATE — a test says what that
 * strategy delivers instead and checks that the result is still right.
 */
package io.cdckit.examples;
