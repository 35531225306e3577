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

    @Override
    protected Map<String, String> strategyProperties() {
        return Map.of("cdc.mode", "log");
    }
}
