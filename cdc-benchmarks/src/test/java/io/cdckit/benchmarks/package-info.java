/** A smoke run of every benchmark, so that none rots, and tests of the report. */
package io.cdckit.benchmarks;
