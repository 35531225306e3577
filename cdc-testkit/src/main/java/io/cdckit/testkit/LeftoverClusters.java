package io.cdckit.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records which JVM owns a cluster directory, and removes the clusters of JVMs that died without
 * running their shutdown hooks (killed test JVMs), so that no postmaster is left running forever.
 */
final class LeftoverClusters {

    private static final Logger LOG = LoggerFactory.getLogger(LeftoverClusters.class);

    /** The file in a cluster directory that names its owning JVM. */
    static final String OWNER_FILE = "owner.properties";

    /** How long a directory without owner file is taken to be still in the making by another JVM. */
    private static final Duration GRACE = Duration.ofMinutes(2);

    private LeftoverClusters() {
    }

    /** Writes the owner file of {@code clusterDir}: this JVM's pid and start time, and the bin directory. */
    static void recordOwner(Path clusterDir, Path binDir) {
        ProcessHandle self = ProcessHandle.current();
        Properties p = new Properties();
        p.setProperty("pid", Long.toString(self.pid()));
        self.info().startInstant().ifPresent(t -> p.setProperty("started", Long.toString(t.toEpochMilli())));
        p.setProperty("bin", binDir.toString());
        try (OutputStream out = Files.newOutputStream(clusterDir.resolve(OWNER_FILE))) {
            p.store(out, "JVM that owns this throwaway PostgreSQL cluster");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the owner file in " + clusterDir, e);
        }
    }

    /**
     * Stops (immediate) and deletes every cluster under {@code baseDir} whose owning JVM is no
     * longer running. Problems are logged, never thrown.
     */
    static void reap(Path baseDir) {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(baseDir)) {
            dirs = s.filter(Files::isDirectory).toList();
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.warn("Cannot look for leftover clusters in {}: {}", baseDir, e.toString());
            return;
        }
        for (Path dir : dirs) {
            try {
                reapIfOrphaned(dir);
            } catch (RuntimeException | IOException e) {
                LOG.warn("Cannot remove leftover cluster {}: {}", dir, e.toString());
            }
        }
    }

    private static void reapIfOrphaned(Path dir) throws IOException {
        Path ownerFile = dir.resolve(OWNER_FILE);
        Properties owner = new Properties();
        if (Files.exists(ownerFile)) {
            try (InputStream in = Files.newInputStream(ownerFile)) {
                owner.load(in);
            }
            if (ownerAlive(owner)) {
                return;
            }
        } else {
            FileTime modified = Files.getLastModifiedTime(dir);
            if (modified.toInstant().isAfter(Instant.now().minus(GRACE))) {
                return;
            }
        }
        LOG.info("Removing leftover PostgreSQL cluster {} (its JVM, pid {}, is gone)", dir,
                owner.getProperty("pid", "unknown"));
        stopPostmaster(dir.resolve("data"), owner.getProperty("bin"));
        deleteTree(dir);
    }

    private static boolean ownerAlive(Properties owner) {
        long pid;
        try {
            pid = Long.parseLong(owner.getProperty("pid", ""));
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        String started = owner.getProperty("started");
        Optional<Instant> actual = handle.get().info().startInstant();
        if (started == null || actual.isEmpty()) {
            return true;
        }
        // the same pid with another start time is another process that reuses the number
        return Math.abs(actual.get().toEpochMilli() - Long.parseLong(started)) < 2_000;
    }

    /** Stops the postmaster of {@code dataDir}, if one runs: pg_ctl stop -m immediate, then SIGKILL. */
    static void stopPostmaster(Path dataDir, String binDir) {
        Optional<ProcessHandle> postmaster = postmaster(dataDir);
        if (postmaster.isEmpty()) {
            return;
        }
        if (binDir != null && Files.isExecutable(Path.of(binDir, "pg_ctl"))) {
            try {
                ServerCommand.run(List.of(Path.of(binDir, "pg_ctl").toString(), "stop", "-D", dataDir.toString(),
                        "-m", "immediate", "-w", "-t", "30"), dataDir.getParent(), Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                LOG.warn("pg_ctl stop failed for {}: {}", dataDir, e.toString());
            }
        }
        ProcessHandle pm = postmaster.get();
        if (pm.isAlive()) {
            pm.destroyForcibly();
            try {
                pm.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("Postmaster {} of {} did not exit: {}", pm.pid(), dataDir, e.toString());
            }
        }
    }

    /**
     * The running postmaster of {@code dataDir}, read from its postmaster.pid: present only when
     * that process runs a {@code postgres} program.
     */
    static Optional<ProcessHandle> postmaster(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        List<String> lines;
        try {
            lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(true));
    }

    /** Deletes {@code dir} with everything in it; a missing directory is not an error. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
