package io.cdckit.kafka;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.ChangeSources;
import io.cdckit.api.SourceStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * The JVM that the SIGKILL test kills: runs a source from a properties file (with a file offset
 * store) whose handler publishes to Kafka. Keys starting with {@code kafka.} configure the handler
 * ({@code kafka.bootstrap}, {@code kafka.prefix}, optionally {@code kafka.transactional-id}); the
 * others are the source's. Prints {@value #STARTED} once the source runs; exits with 3 when it fails.
 */
public final class PublishingChild {

    static final String STARTED = "STARTED";

    private PublishingChild() {
    }

    public static void main(String[] args) throws Exception {
        Properties all = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            all.load(in);
        }
        Properties cdc = new Properties();
        for (String name : all.stringPropertyNames()) {
            if (!name.startsWith("kafka.")) {
                cdc.setProperty(name, all.getProperty(name));
            }
        }
        KafkaChangeHandler.Builder builder = KafkaChangeHandler.builder()
                .bootstrapServers(all.getProperty("kafka.bootstrap"))
                .topicPrefix(all.getProperty("kafka.prefix"))
                .sendTimeout(Duration.ofSeconds(15));
        if (all.getProperty("kafka.transactional-id") != null) {
            builder.transactionalId(all.getProperty("kafka.transactional-id"));
        }
        KafkaChangeHandler handler = builder.build();
        ChangeSource source = ChangeSources.create(CdcConfig.from(cdc));
        source.start(handler);
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

    /** Starts a child JVM with this test classpath; stdout is the parent's to read, stderr is appended to a file. */
    static Process start(Path properties, Path stderr) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), PublishingChild.class.getName(), properties.toString());
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
    }
}
