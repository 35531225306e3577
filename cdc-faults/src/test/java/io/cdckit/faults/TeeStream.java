package io.cdckit.faults;

import java.io.IOException;
import java.io.OutputStream;

/** Copies what is written to two streams: the tests read the log output the source wrote. */
final class TeeStream extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    TeeStream(OutputStream a, OutputStream b) {
        this.a = a;
        this.b = b;
    }

    @Override
    public void write(int c) throws IOException {
        synchronized (a) {
            a.write(c);
        }
        b.write(c);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
        synchronized (a) {
            a.write(buf, off, len);
        }
        b.write(buf, off, len);
    }
}
