/** Tests of the testkit, the contract run on an in-memory strategy and on broken ones, and the JDBC offset store. */
package io.cdckit.testkit;
