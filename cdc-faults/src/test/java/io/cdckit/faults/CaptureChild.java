package io.cdckit.faults;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.SourceStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The capturing JVM that the SIGKILL test kills: runs a source from a properties file (with a file
 * offset store) and appends every batch to an {@link EventJournal}. Prints {@code STARTED} once
 * the source runs; exits with 3 when the source fails.
 *
 * <p>Arguments: the properties file, the journal file, the epoch number.
 */
public final class CaptureChild {

    static final String STARTED = "STARTED";

    private CaptureChild() {
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            p.load(in);
        }
        EventJournal journal = new EventJournal(Path.of(args[1]));
        int epoch = Integer.parseInt(args[2]);
        AtomicLong batches = new AtomicLong();
        ChangeSource source = ChangeSources.create(CdcConfig.from(p));
        source.start(events -> journal.append(epoch, batches.incrementAndGet(), events));
        System.out.println(STARTED);
        System.out.flush();
        while (true) {
            Thread.sleep(200);
            SourceStatus s = source.status();
            if (s.state() == SourceStatus.State.FAILED) {
                System.err.println("source failed: " + s);
                if (s.failure() != null) {
                    s.failure().printStackTrace();
                }
                System.exit(3);
            }
        }
    }

    /** Starts a child JVM; its stdout is returned for the parent to read, stderr appended to a file. */
    static Process start(Path properties, Path journal, int epoch, Path stderr) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), CaptureChild.class.getName(), properties.toString(),
                journal.toString(), Integer.toString(epoch)));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
    }
}
