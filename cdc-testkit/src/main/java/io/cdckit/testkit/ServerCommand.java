package io.cdckit.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one PostgreSQL program (initdb, pg_ctl) as the server OS user, streams its output to the
 * log line by line, and returns its exit code and output.
 */
final class ServerCommand {

    private static final Logger LOG = LoggerFactory.getLogger(ServerCommand.class);

    /** What a finished program returned. */
    record Result(int exitCode, String output) {
    }

    private ServerCommand() {
    }

    /**
     * Runs {@code command} in {@code workDir} as the server OS user and waits at most
     * {@code timeout} for it.
     *
     * @throws IllegalStateException when it cannot be started or does not finish in time
     */
    static Result run(List<String> command, Path workDir, Duration timeout) {
        return run(command, workDir, timeout, false);
    }

    /**
     * Runs {@code command} as {@link #run(List, Path, Duration)} does; with {@code quiet} its
     * output is logged at debug level only.
     */
    static Result run(List<String> command, Path workDir, Duration timeout, boolean quiet) {
        String program = Path.of(command.get(0)).getFileName().toString();
        List<String> full = ServerOsUser.wrap(command);
        LOG.debug("Running {}", full);
        Process process;
        try {
            process = new ProcessBuilder(full)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + full + ": " + e.getMessage(), e);
        }
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (quiet) {
                        LOG.debug("[{}] {}", program, line);
                    } else {
                        LOG.info("[{}] {}", program, line);
                    }
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                LOG.debug("Output of {} ended: {}", program, e.toString());
            }
        }, "cdckit-" + program + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(program + " did not finish within " + timeout.toSeconds()
                        + " s: " + full);
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + full, e);
        }
        synchronized (lines) {
            return new Result(process.exitValue(), String.join("\n", lines));
        }
    }
}
