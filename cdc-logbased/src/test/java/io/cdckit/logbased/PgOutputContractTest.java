package io.cdckit.logbased;

import io.cdckit.testkit.Capabilities;
import io.cdckit.testkit.ChangeSourceContractTest;

import java.util.Map;

/**
 * The contract every strategy passes, for the log-based one read by the native engine
 * ({@code cdc.log.engine=pgoutput}) with REPLICA IDENTITY FULL: unchanged from the Debezium
 * engine's, and with names that start and end with a quote, which only Debezium cannot read.
 */
class PgOutputContractTest extends ChangeSourceContractTest {

    @Override
    protected Capabilities capabilities() {
        return Capabilities.all();
    }

    @Override
    protected Map<String, String> strategyProperties() {
        return Map.of("cdc.mode", "log", "cdc.log.engine", "pgoutput");
    }
}
