package io.cdckit.testkit;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.OffsetStore;

import java.time.Duration;
import java.util.Map;

/**
 * Test-only: the contract run against deliberately broken strategies. These classes are not
 * run by the build directly (their names do not end in Test);
 * {@link ContractCatchesFaultyStrategiesTest} runs them and expects them to fail.
 */
final class FaultyStrategyContractFixtures {

    private FaultyStrategyContractFixtures() {
    }

    /** The correct in-memory strategy, broken by {@link #fault()} on its second event. */
    abstract static class FaultyStrategy extends ChangeSourceContractTest {
        abstract FaultyChangeSource.Fault fault();

        @Override
        protected Capabilities capabilities() {
            return Capabilities.all().withoutSnapshots();
        }

        @Override
        protected Map<String, String> strategyProperties() {
            return Map.of("cdc.mode", "inmemory");
        }

        @Override
        protected Duration waitTime() {
            return Duration.ofSeconds(3);
        }

        @Override
        protected ChangeSource createSource(CdcConfig config, OffsetStore offsets) {
            return new FaultyChangeSource(super.createSource(config, offsets), fault(), 2);
        }
    }

    /** Drops the second event it sees. */
    static class DroppingStrategy extends FaultyStrategy {
        @Override
        FaultyChangeSource.Fault fault() {
            return FaultyChangeSource.Fault.DROP;
        }
    }

    /** Delivers the second event it sees twice. */
    static class DuplicatingStrategy extends FaultyStrategy {
        @Override
        FaultyChangeSource.Fault fault() {
            return FaultyChangeSource.Fault.DUPLICATE;
        }
    }
}
