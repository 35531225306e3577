package io.cdckit.testkit;

import io.cdckit.api.ChangeEvent;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.SourceMetrics;
import io.cdckit.api.SourceStatus;

import java.util.ArrayList;
import java.util.List;

/**
 * Test-only: wraps a correct source and breaks it on purpose, dropping or duplicating the n-th
 * event it sees, to show that the contract catches such a strategy.
 */
final class FaultyChangeSource implements ChangeSource {

    enum Fault { DROP, DUPLICATE }

    private final ChangeSource delegate;
    private final Fault fault;
    private final int nth;
    private int seen;

    FaultyChangeSource(ChangeSource delegate, Fault fault, int nth) {
        this.delegate = delegate;
        this.fault = fault;
        this.nth = nth;
    }

    @Override
    public void start(ChangeHandler handler) {
        delegate.start(batch -> handler.handle(corrupt(batch)));
    }

    private List<ChangeEvent> corrupt(List<ChangeEvent> batch) {
        List<ChangeEvent> out = new ArrayList<>();
        for (ChangeEvent e : batch) {
            seen++;
            if (seen == nth && fault == Fault.DROP) {
                continue;
            }
            out.add(e);
            if (seen == nth && fault == Fault.DUPLICATE) {
                out.add(e);
            }
        }
        return out;
    }

    @Override
    public SourceStatus status() {
        return delegate.status();
    }

    @Override
    public SourceMetrics metrics() {
        return delegate.metrics();
    }

    @Override
    public io.cdckit.api.SourceHealth health() {
        return delegate.health();
    }

    @Override
    public void snapshot(io.cdckit.api.TableId... tables) {
        delegate.snapshot(tables);
    }

    @Override
    public io.cdckit.api.CdcConfig config() {
        return delegate.config();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
