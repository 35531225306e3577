package io.cdckit.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.cdckit.api.FileOffsetStoreCrashTest.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileOffsetStoreTest {

    @TempDir
    Path dir;

    @org.junit.jupiter.api.BeforeEach
    void resolveDir() throws IOException {
        dir = dir.toRealPath();
    }

    private Path file() {
        return dir.resolve("offsets.json");
    }

    private static Position mixed() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("lsn", "0/16B3748");
        fields.put("small", 7L);
        fields.put("max", Long.MAX_VALUE);
        fields.put("min", Long.MIN_VALUE);
        fields.put("int", 42);
        fields.put("snapshot", Boolean.TRUE);
        fields.put("done", Boolean.FALSE);
        fields.put("missing", null);
        fields.put("text", "quote \" backslash \\ newline \n unicode \u00e9\u4e2d\ud83d\ude00");
        return new Position(fields);
    }

    @Test
    void positionsRoundTripExactlyThroughTheFile() {
        Position p = mixed();
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("src")).isEmpty();
            store.save("src", p);
            assertThat(store.load("src")).contains(p);
        }
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            Position loaded = store.load("src").orElseThrow();
            assertThat(loaded).isEqualTo(p);
            assertThat(new ArrayList<>(loaded.fields().keySet())).containsExactlyElementsOf(p.fields().keySet());
            assertThat(loaded.fields().get("small")).isInstanceOf(Long.class).isEqualTo(7L);
            assertThat(loaded.fields().get("int")).isInstanceOf(Long.class).isEqualTo(42L);
            assertThat(loaded.fields().get("max")).isEqualTo(Long.MAX_VALUE);
            assertThat(loaded.fields().get("min")).isEqualTo(Long.MIN_VALUE);
            assertThat(loaded.fields().get("snapshot")).isEqualTo(Boolean.TRUE);
            assertThat(loaded.fields().get("done")).isEqualTo(Boolean.FALSE);
            assertThat(loaded.fields()).containsKey("missing");
            assertThat(loaded.fields().get("missing")).isNull();
            assertThat(loaded.getLong("small")).isEqualTo(7L);
        }
    }

    @Test
    void oneFileHoldsTheLatestPositionOfEverySource() throws IOException {
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            store.save("a", Position.of("n", 1L));
            store.save("b", Position.of("lsn", "0/1"));
            store.save("c", Position.of("flag", true));
            store.save("b", Position.of("lsn", "0/2"));
            assertThat(store.load("b")).contains(Position.of("lsn", "0/2"));
        }
        JsonNode root = PositionJson.MAPPER.readTree(Files.readAllBytes(file()));
        assertThat(root.properties()).extracting(Map.Entry::getKey).containsExactly("a", "b", "c");
        assertThat(root.get("b").get("lsn").asText()).isEqualTo("0/2");
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("a")).contains(Position.of("n", 1L));
            assertThat(store.load("b")).contains(Position.of("lsn", "0/2"));
            assertThat(store.load("c")).contains(Position.of("flag", true));
            assertThat(store.load("d")).isEmpty();
            store.save("d", Position.of("n", 4L));
        }
        try (OffsetStore store = OffsetStores.file(file())) {
            assertThat(store.load("a")).contains(Position.of("n", 1L));
            assertThat(store.load("d")).contains(Position.of("n", 4L));
        }
    }

    @Test
    void createsMissingParentDirectories() {
        Path nested = dir.resolve("x/y/z/offsets.json");
        try (FileOffsetStore store = new FileOffsetStore(nested)) {
            store.save("src", Position.of("n", 1L));
        }
        assertThat(nested).isRegularFile();
        try (FileOffsetStore store = new FileOffsetStore(nested)) {
            assertThat(store.load("src")).contains(Position.of("n", 1L));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"src\": {\"n\": 1",
            "",
            "   \n",
            "[{\"n\": 1}]",
            "{\"src\": 5}",
            "{\"src\": {\"n\": 1.5}}",
            "{\"src\": {\"n\": 99999999999999999999}}",
            "{\"src\": {\"n\": {\"nested\": 1}}}",
            "{\"src\": {\"n\": [1]}}",
            "{\"src\": {\"n\": 1}} trailing",
            "{\"src\": {\"n\": 1}, \"src\": {\"n\": 2}}",
            "\u0000\u0000\u0000\u0000"
    })
    void corruptFileIsReportedWithTheFileAndTheFix(String content) throws IOException {
        Files.writeString(file(), content);
        assertThatThrownBy(() -> new FileOffsetStore(file()))
                .isInstanceOf(CdcException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("corrupt")
                .hasMessageContaining("Restore it")
                .hasMessageContaining("delete it")
                .hasMessageContaining("from the beginning");
        // the failed store released its lock: once the file is fixed, a store opens
        Files.writeString(file(), "{\"src\": {\"n\": 3}}");
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("src")).contains(Position.of("n", 3L));
        }
    }

    @Test
    void unreadableFileIsReported() throws IOException {
        Files.createDirectories(file());
        Files.writeString(file().resolve("inside"), "x");
        assertThatThrownBy(() -> new FileOffsetStore(file()))
                .isInstanceOf(CdcException.class)
                .hasMessageContaining("Cannot read offset file " + file());
    }

    @Test
    void secondStoreOnTheSameFileInThisJvmIsRefused() throws Exception {
        try (FileOffsetStore first = new FileOffsetStore(file())) {
            first.save("src", Position.of("n", 1L));
            assertThatThrownBy(() -> new FileOffsetStore(file()))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining(file().toString())
                    .hasMessageContaining("already open");
            Path link = Files.createSymbolicLink(dir.resolve("link"), dir);
            assertThatThrownBy(() -> new FileOffsetStore(link.resolve("./offsets.json")))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining("already open");
            // the refused attempts did not drop the first store's lock
            assertThat(runChild("open")).startsWith("refused ").contains("in use by another running source");
            first.save("src", Position.of("n", 2L));
        }
        try (FileOffsetStore again = new FileOffsetStore(file())) {
            assertThat(again.load("src")).contains(Position.of("n", 2L));
        }
        assertThat(runChild("open")).isEqualTo("opened");
    }

    @Test
    void storeOnAFileAnotherProcessUsesIsRefused() throws Exception {
        Path stderr = dir.resolve("child.err");
        Process child = FileOffsetStoreCrashChild.start("hold", file(), stderr);
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).as("child stderr: %s", stderrOf(stderr)).isEqualTo("holding");
            assertThatThrownBy(() -> new FileOffsetStore(file()))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining(file().toString())
                    .hasMessageContaining("in use by another running source")
                    .hasMessageContaining("Stop that process");
            child.getOutputStream().close();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
        } finally {
            child.destroyForcibly();
        }
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("src")).isEmpty();
        }
    }

    @Test
    void concurrentSavesLeaveAValidFileWithOneOfTheSavedPositions() throws Exception {
        int threads = 8;
        int saves = 150;
        Set<Position> shared = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Position last;
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        for (int i = 1; i <= saves; i++) {
                            store.save("own-" + thread, Position.of("n", (long) i));
                            Position p = Position.of("thread", (long) thread, "i", (long) i);
                            shared.add(p);
                            store.save("shared", p);
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            last = store.load("shared").orElseThrow();
        }
        assertThat(shared).contains(last);
        PositionJson.MAPPER.readTree(Files.readAllBytes(file()));
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("shared")).contains(last);
            for (int t = 0; t < threads; t++) {
                assertThat(store.load("own-" + t)).as("source own-%d", t).contains(Position.of("n", (long) saves));
            }
        }
        assertThat(names(dir)).containsExactlyInAnyOrder("offsets.json", "offsets.json.lock");
    }

    @Test
    void temporaryFilesDoNotAccumulate() throws IOException {
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            for (long i = 0; i < 100; i++) {
                store.save("src", Position.of("n", i));
                store.save("src" + (i % 3), Position.of("n", i));
            }
            assertThat(names(dir)).containsExactlyInAnyOrder("offsets.json", "offsets.json.lock");
        }
        assertThat(names(dir)).containsExactlyInAnyOrder("offsets.json", "offsets.json.lock");
    }

    @Test
    void staleTemporaryFilesOfThisStoreAreRemovedAtStartup() throws IOException {
        Files.writeString(dir.resolve("offsets.json.0123456789abcdef.tmp"), "{\"src\": {\"n\"");
        Files.writeString(dir.resolve("offsets.json.fedcba9876543210.tmp"), "");
        Set<String> unrelated = Set.of("offsets.json.notrandom.tmp", "other.json.0123456789abcdef.tmp",
                "offsets.json.0123456789ABCDEF.tmp", "offsets.json.0123456789abcdef.tmp.bak");
        for (String name : unrelated) {
            Files.writeString(dir.resolve(name), "keep");
        }
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("src")).isEmpty();
        }
        Set<String> expected = new HashSet<>(unrelated);
        expected.add("offsets.json.lock");
        assertThat(names(dir)).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void failedSaveReportsThePathAndKeepsThePreviousPosition() throws IOException {
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            store.save("src", Position.of("n", 1L));
            // a non-empty directory where the file was: the rename cannot replace it
            Files.delete(file());
            Files.createDirectory(file());
            Files.writeString(file().resolve("blocker"), "x");

            assertThatThrownBy(() -> store.save("src", Position.of("n", 2L)))
                    .isInstanceOf(CdcException.class)
                    .hasMessageContaining("source 'src'")
                    .hasMessageContaining(file().toString())
                    .hasCauseInstanceOf(IOException.class);
            assertThat(store.load("src")).contains(Position.of("n", 1L));
            assertThat(names(dir)).containsExactlyInAnyOrder("offsets.json", "offsets.json.lock");

            Files.delete(file().resolve("blocker"));
            Files.delete(file());
            store.save("src", Position.of("n", 2L));
        }
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("src")).contains(Position.of("n", 2L));
        }
    }

    @Test
    void saveOnAnInterruptedThreadCompletesAndKeepsTheInterrupt() {
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            Thread.currentThread().interrupt();
            try {
                store.save("src", Position.of("n", 1L));
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
        }
        try (FileOffsetStore store = new FileOffsetStore(file())) {
            assertThat(store.load("src")).contains(Position.of("n", 1L));
        }
    }

    @Test
    void closedStoreRefusesUseAndCloseIsIdempotent() {
        FileOffsetStore store = new FileOffsetStore(file());
        store.close();
        store.close();
        assertThatThrownBy(() -> store.save("src", Position.of("n", 1L))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.load("src")).isInstanceOf(IllegalStateException.class);
        assertThat(store.toString()).isEqualTo("file:" + file());
    }

    private String runChild(String mode) throws Exception {
        Path stderr = dir.resolve("child.err");
        Process child = FileOffsetStoreCrashChild.start(mode, file(), stderr);
        try {
            child.getOutputStream().close();
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as("child stderr: %s", stderrOf(stderr)).isZero();
            return out;
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(stderr);
        }
    }

    private static String stderrOf(Path stderr) throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr) : "";
    }
}
