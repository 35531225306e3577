package io.cdckit.timestamp;

import io.cdckit.testkit.Capabilities;
import io.cdckit.testkit.ChangeSourceContractTest;

import java.util.Map;

/**
 * The contract, with what timestamp polling honestly sees: no before image, updates between two
 * polls collapse into one, no TRUNCATE; deletes through key reconciliation, here on every poll
 * (the contract tables have no soft-delete column).
 */
class TimestampContractTest extends ChangeSourceContractTest {

    @Override
    protected Capabilities capabilities() {
        return new Capabilities(false, true, false, false).withoutTransactions();
    }

    @Override
    protected Map<String, String> strategyProperties() {
        return Map.of("cdc.mode", "timestamp", "cdc.timestamp.reconcile.every-polls", "1");
    }
}
