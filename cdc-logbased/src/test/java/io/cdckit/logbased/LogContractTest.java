package io.cdckit.logbased;

import io.cdckit.testkit.Capabilities;
import io.cdckit.testkit.ChangeSourceContractTest;

import java.util.Map;

/** The contract every strategy passes, for the log-based one with REPLICA IDENTITY FULL. */
class LogContractTest extends ChangeSourceContractTest {

    @Override
    protected Capabilities capabilities() {
        return Capabilities.all();
    }

    /** Quotes inside the name only: Debezium cannot parse names that start or end with one (see LogSetupTest). */
    @Override
    protected String quotedIdentifierTableName() {
        return "Order \"Lines\" Δ";
    }

    @Override
    protected Map<String, String> strategyProperties() {
        return Map.of("cdc.mode", "log");
    }
}
