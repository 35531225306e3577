/** Tests of the trigger strategy against a real PostgreSQL: the contract, install, commit order and wake-ups. */
package io.cdckit.trigger;
