/** Tests of the API without a database: config, JSON codec, offset files and the delivery loop. */
package io.cdckit.api;
