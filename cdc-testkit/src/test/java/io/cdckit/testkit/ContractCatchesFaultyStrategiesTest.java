package io.cdckit.testkit;

import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The negative proof: the contract that the in-memory strategy passes fails a strategy that
 * drops one event, and one that duplicates one.
 */
class ContractCatchesFaultyStrategiesTest {

    private static Events run(Class<?> fixture) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture)).execute().testEvents();
    }

    private static List<String> failedTests(Events events) {
        return events.failed().list().stream()
                .map(e -> e.getTestDescriptor().getDisplayName()).sorted().toList();
    }

    @Test
    void contractFailsAStrategyThatDropsAnEvent() {
        Events events = run(FaultyStrategyContractFixtures.DroppingStrategy.class);
        List<String> failed = failedTests(events);
        assertThat(failed).as("contract tests that caught the dropped event")
                .contains("insertUpdateDeleteArriveWithKeyBeforeAndAfter()",
                        "everyTypeArrivesAsTheSameTypedValue()",
                        "restartResumesAndDeliversChangesMadeWhileStopped()",
                        "truncateArrivesAsOpT()");
    }

    @Test
    void contractFailsAStrategyThatDuplicatesAnEvent() {
        Events events = run(FaultyStrategyContractFixtures.DuplicatingStrategy.class);
        List<String> failed = failedTests(events);
        assertThat(failed).as("contract tests that caught the duplicated event")
                .contains("insertUpdateDeleteArriveWithKeyBeforeAndAfter()",
                        "everyTypeArrivesAsTheSameTypedValue()",
                        "restartResumesAndDeliversChangesMadeWhileStopped()",
                        "truncateArrivesAsOpT()");
    }
}
