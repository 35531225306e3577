/** Tests of the log strategy against a real PostgreSQL: the contract, setup checks and value conversion. */
package io.cdckit.logbased;
