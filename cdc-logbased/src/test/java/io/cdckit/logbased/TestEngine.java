package io.cdckit.logbased;

/**
 * The engine this run of the log strategy's tests reads the slot with: Debezium's by default, the
 * native {@code pgoutput} engine in the build's second run ({@code -Dcdckit.test.log.engine=pgoutput}),
 * so the same tests hold for both unchanged.
 */
final class TestEngine {

    /** The value of {@code cdc.log.engine} for this run. */
    static final String NAME = System.getProperty("cdckit.test.log.engine", "debezium");

    private TestEngine() {
    }

    /** True when this run tests the native engine. */
    static boolean pgoutput() {
        return "pgoutput".equals(NAME);
    }
}
