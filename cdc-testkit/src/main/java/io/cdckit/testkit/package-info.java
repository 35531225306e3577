/**
 * Testing against a real PostgreSQL: a throwaway server per test JVM ({@code @PostgresTest},
 * {@link io.cdckit.testkit.TestDatabase}), the contract every strategy passes
 * ({@link io.cdckit.testkit.ChangeSourceContractTest}), a reproducible concurrent
 * {@link io.cdckit.testkit.Workload} and the {@link io.cdckit.testkit.ReplicaVerifier}.
 */
package io.cdckit.testkit;
