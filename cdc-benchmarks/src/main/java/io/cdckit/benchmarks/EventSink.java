package io.cdckit.benchmarks;

/**
 * Receives each captured row change of the benchmark table, on the capture's delivery thread.
 * Implementations keep the work per event tiny, so they measure the capture, not themselves.
 */
interface EventSink {

    /**
     * One change of row {@code id}.
     *
     * @param commitTsMs the commit time the strategy reports ({@code source.tsMs}), or -1 when it
     *     does not know it
     */
    void accept(long id, long commitTsMs);
}
