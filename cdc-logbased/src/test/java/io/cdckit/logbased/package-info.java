/**
 * Tests of the log strategy against a real PostgreSQL: the contract, setup checks, value
 * conversion, the slot guard (retained WAL, invalidated slots) and retiring a source.
 */
package io.cdckit.logbased;
