/**
 * Tests of the demo: the README's first command end to end on a throwaway PostgreSQL with every
 * strategy, and its command line refusing what it cannot run.
 */
package io.cdckit.examples.demo;
