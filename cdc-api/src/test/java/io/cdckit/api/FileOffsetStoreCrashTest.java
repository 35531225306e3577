package io.cdckit.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A JVM killed with SIGKILL while saving positions in a tight loop loses none it acknowledged. */
class FileOffsetStoreCrashTest {

    private static final int ROUNDS = 5;
    private static final int MANY_SAVES = 300;

    @TempDir
    Path dir;

    @Test
    void killDuringSavesLeavesAWholeFileWithTheLastAcknowledgedPosition() throws Exception {
        Path file = dir.resolve("offsets.json");
        Path stderr = Files.createTempFile("crash-child", ".err");
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long expectedStart = 0;
        boolean sawManySaves = false;
        try {
            for (int round = 0; round < ROUNDS; round++) {
                Process child = FileOffsetStoreCrashChild.start("count", file, stderr);
                Output out = new Output(child.getInputStream());
                out.start();
                String context = "round " + round + ", seed " + seed;
                try {
                    await().atMost(Duration.ofSeconds(15))
                            .until(() -> out.start >= 0 || !child.isAlive());
                    assertThat(child.isAlive()).as("child alive in %s; stderr: %s", context, read(stderr)).isTrue();
                    assertThat(out.start).as("position the child resumed from, %s", context).isEqualTo(expectedStart);

                    if (round == 1 || round == 3) {
                        // at least some kills come after hundreds of saves, with the JIT warmed up
                        long goal = out.start + MANY_SAVES;
                        await().atMost(Duration.ofSeconds(15)).until(() -> out.lastSaved >= goal || !child.isAlive());
                    }
                    Thread.sleep(50 + random.nextInt(351));
                    assertThat(child.isAlive()).as("child alive before the kill, %s; stderr: %s", context,
                            read(stderr)).isTrue();
                    long seenBeforeKill = out.lastSaved;
                    child.destroyForcibly();
                    assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
                    out.join(10_000);
                    assertThat(out.isAlive()).isFalse();
                    assertThat(out.error).as("child output, %s", context).isNull();

                    long acknowledged = Math.max(out.start, out.lastSaved);
                    assertThat(acknowledged).isGreaterThanOrEqualTo(seenBeforeKill);
                    if (out.lastSaved - out.start >= MANY_SAVES) {
                        sawManySaves = true;
                    }

                    JsonNode root = PositionJson.MAPPER.readTree(Files.readAllBytes(file));
                    assertThat(root.isObject()).as("file content after the kill, %s", context).isTrue();

                    try (FileOffsetStore store = new FileOffsetStore(file)) {
                        Position loaded = store.load(FileOffsetStoreCrashChild.SOURCE).orElseThrow();
                        long n = loaded.getLong("n");
                        // nothing acknowledged is lost
                        assertThat(n).as("loaded n, %s, last acknowledged %d", context, acknowledged)
                                .isGreaterThanOrEqualTo(acknowledged);
                        if (out.endOfStream) {
                            // every acknowledgement was read: nothing beyond the one save in flight appears
                            assertThat(n).as("loaded n, %s, last acknowledged %d", context, acknowledged)
                                    .isLessThanOrEqualTo(acknowledged + 1);
                        }
                        assertThat(loaded).isEqualTo(FileOffsetStoreCrashChild.position(n));
                        assertThat(store.load(FileOffsetStoreCrashChild.OTHER_SOURCE))
                                .contains(FileOffsetStoreCrashChild.OTHER_POSITION);
                        assertThat(names(dir)).as("files after reopening, %s", context)
                                .containsExactlyInAnyOrder("offsets.json", "offsets.json.lock");
                        System.out.printf("%s: resumed from %d, %d saves seen before the kill, %d in all, "
                                + "loaded %d%n", context, out.start, seenBeforeKill - out.start,
                                acknowledged - out.start, n);
                        expectedStart = n;
                    }
                } finally {
                    child.destroyForcibly();
                    child.waitFor(10, TimeUnit.SECONDS);
                }
            }
            assertThat(sawManySaves).as("some kill came after %d saves", MANY_SAVES).isTrue();
            assertThat(expectedStart).as("positions saved over all rounds").isGreaterThan(MANY_SAVES);
        } finally {
            Files.deleteIfExists(stderr);
        }
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file);
    }

    /** Reads the child's output; only newline-terminated lines count. */
    private static final class Output extends Thread {

        private final InputStream in;
        volatile long start = -1;
        volatile long lastSaved = -1;
        volatile String error;
        /**
         * True when the output was read to its end. The JDK may close a dead child's pipe under a
         * reading thread ("Stream closed"), and the last lines are then not seen.
         */
        volatile boolean endOfStream;

        Output(InputStream in) {
            super("crash-child-output");
            setDaemon(true);
            this.in = in;
        }

        @Override
        public void run() {
            StringBuilder line = new StringBuilder();
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            accept(line.toString());
                            line.setLength(0);
                        } else {
                            line.append((char) buf[i]);
                        }
                    }
                }
                endOfStream = n < 0;
            } catch (IOException e) {
                // the child is gone
            } catch (RuntimeException e) {
                error = e.getMessage();
            }
        }

        private void accept(String line) {
            if (line.startsWith("ready ")) {
                start = Long.parseLong(line.substring(6).trim());
            } else if (line.startsWith("saved ")) {
                long i = Long.parseLong(line.substring(6).trim());
                long expected = (lastSaved < 0 ? start : lastSaved) + 1;
                if (i != expected) {
                    throw new IllegalStateException("saved " + i + " where " + expected + " was expected");
                }
                lastSaved = i;
            } else {
                throw new IllegalStateException("unexpected output: " + new String(line.getBytes(
                        StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
            }
        }
    }
}
