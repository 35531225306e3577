/** Tests of the timestamp strategy against a real PostgreSQL: the contract, watermark, deletes and startup checks. */
package io.cdckit.timestamp;
