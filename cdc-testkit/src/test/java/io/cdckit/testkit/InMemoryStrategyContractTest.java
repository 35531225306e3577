package io.cdckit.testkit;

import java.util.Map;

/** The contract, proven on the test-only in-memory strategy. */
class InMemoryStrategyContractTest extends ChangeSourceContractTest {

    @Override
    protected Capabilities capabilities() {
        return Capabilities.all().withoutSnapshots();
    }

    @Override
    protected Map<String, String> strategyProperties() {
        return Map.of("cdc.mode", "inmemory");
    }
}
