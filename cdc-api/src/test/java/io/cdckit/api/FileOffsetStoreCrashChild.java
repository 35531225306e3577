package io.cdckit.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A separate JVM for the file offset store tests. Modes:
 * <ul>
 *   <li>{@code count FILE}: opens the store, prints {@code ready N} with the saved n (0 if none),
 *       then saves {@link #position(long) position(i)} for i = N+1, N+2, ... until killed,
 *       printing {@code saved i} after each save returns;</li>
 *   <li>{@code open FILE}: tries to open the store and prints {@code opened} or
 *       {@code refused MESSAGE};</li>
 *   <li>{@code hold FILE}: opens the store, prints {@code holding}, and closes it when its
 *       standard input ends.</li>
 * </ul>
 */
public final class FileOffsetStoreCrashChild {

    static final String SOURCE = "src";
    static final String OTHER_SOURCE = "other";
    static final Position OTHER_POSITION = Position.of("lsn", "0/16B3748", "snapshot", Boolean.TRUE);

    private FileOffsetStoreCrashChild() {
    }

    /** The position saved as number {@code n}: its padding varies so that a torn file cannot pass as whole. */
    static Position position(long n) {
        return Position.of("n", n, "pad", "p".repeat((int) ((n * 37) % 3000)));
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[1]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                StandardCharsets.UTF_8);
        switch (args[0]) {
            case "count" -> count(file, out);
            case "open" -> {
                try (OffsetStore store = new FileOffsetStore(file)) {
                    store.load(SOURCE);
                    out.println("opened");
                } catch (CdcException e) {
                    out.println("refused " + e.getMessage());
                }
                out.flush();
            }
            case "hold" -> {
                try (OffsetStore store = new FileOffsetStore(file)) {
                    store.load(SOURCE);
                    out.println("holding");
                    out.flush();
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                    while (in.readLine() != null) {
                        // wait for the parent to close our input
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void count(Path file, PrintStream out) {
        OffsetStore store = new FileOffsetStore(file);
        long start = store.load(SOURCE).map(p -> p.getLong("n")).orElse(0L);
        store.save(OTHER_SOURCE, OTHER_POSITION);
        out.println("ready " + start);
        out.flush();
        for (long i = start + 1; ; i++) {
            store.save(SOURCE, position(i));
            out.println("saved " + i);
            out.flush();
        }
    }

    /** Starts this class in a new JVM with the test classpath; its standard error goes to {@code stderr}. */
    static Process start(String mode, Path file, Path stderr) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), FileOffsetStoreCrashChild.class.getName(), mode,
                file.toString()));
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                .start();
    }
}
