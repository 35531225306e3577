/**
 * cdckit as a Kafka Connect source connector: {@link io.cdckit.connect.CdcSourceConnector} and
 * its {@link io.cdckit.connect.CdcSourceTask}, which drive a capture strategy's reader, keep its
 * positions as Connect offsets and write Debezium's change event envelope.
 */
package io.cdckit.connect;
