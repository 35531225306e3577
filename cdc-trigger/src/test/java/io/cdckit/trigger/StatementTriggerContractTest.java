package io.cdckit.trigger;

import io.cdckit.testkit.Capabilities;
import io.cdckit.testkit.ChangeSourceContractTest;

import java.util.Map;

/** The contract for statement-level triggers. */
class StatementTriggerContractTest extends ChangeSourceContractTest {

    @Override
    protected Capabilities capabilities() {
        return Capabilities.all();
    }

    @Override
    protected Map<String, String> strategyProperties() {
        return Map.of("cdc.mode", "trigger", "cdc.trigger.install", "true", "cdc.trigger.flavour", "statement");
    }
}
