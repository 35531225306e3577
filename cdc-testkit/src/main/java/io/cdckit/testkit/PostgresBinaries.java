package io.cdckit.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds a directory of PostgreSQL server programs (pg_ctl, initdb, postgres): the one named by the
 * system property {@value #BIN_PROPERTY} or the environment variable {@value #BIN_ENV}, else the
 * one holding the {@code pg_ctl} on PATH, else the highest version under
 * {@code /usr/lib/postgresql/<version>/bin} (Debian and Ubuntu).
 */
final class PostgresBinaries {

    /** System property naming the bin directory, or {@value #DISABLED} to not use local binaries. */
    static final String BIN_PROPERTY = "cdckit.test.pg.bin";
    /** Environment variable naming the bin directory. */
    static final String BIN_ENV = "CDC_TEST_PG_BIN";
    /** The value of {@value #BIN_PROPERTY} or {@value #BIN_ENV} that turns local binaries off. */
    static final String DISABLED = "none";
    /** The oldest major version cdckit supports. */
    static final int MIN_MAJOR_VERSION = 12;

    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
    private static final List<String> PROGRAMS = List.of("pg_ctl", "initdb", "postgres");
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");

    /**
     * The outcome of a search: a bin directory and its major version, or none and why.
     *
     * @param binDir the directory, or null when none was found
     * @param majorVersion its major version, 0 when none was found
     * @param whyNot when none was found, what was looked at
     */
    record Found(Path binDir, int majorVersion, String whyNot) {
        boolean present() {
            return binDir != null;
        }
    }

    private PostgresBinaries() {
    }

    /**
     * Searches for the binaries.
     *
     * @param env environment variables by name
     * @param props system properties by name
     * @throws IllegalStateException when a configured directory is unusable
     */
    static Found locate(Function<String, String> env, Function<String, String> props) {
        String configured = props.apply(BIN_PROPERTY);
        String source = "system property " + BIN_PROPERTY;
        if (configured == null || configured.isBlank()) {
            configured = env.apply(BIN_ENV);
            source = "environment variable " + BIN_ENV;
        }
        if (configured != null && !configured.isBlank()) {
            configured = configured.trim();
            if (configured.toLowerCase(Locale.ROOT).equals(DISABLED)) {
                return new Found(null, 0, "local binaries are turned off by " + source + "=" + DISABLED);
            }
            Path dir = Path.of(configured);
            String problem = problemWith(dir);
            if (problem != null) {
                throw new IllegalStateException(source + "=" + configured + " does not name a usable directory of "
                        + "PostgreSQL server programs: " + problem);
            }
            return new Found(dir, majorVersion(dir), null);
        }

        String path = env.apply("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path pgCtl = Path.of(entry, "pg_ctl");
                if (Files.isExecutable(pgCtl)) {
                    try {
                        Path dir = pgCtl.toRealPath().getParent();
                        if (problemWith(dir) == null) {
                            return new Found(dir, majorVersion(dir), null);
                        }
                    } catch (IOException | IllegalStateException e) {
                        // not usable: keep looking
                    }
                }
            }
        }

        List<Path> candidates = new ArrayList<>();
        if (Files.isDirectory(DEBIAN_ROOT)) {
            try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
                versions.map(v -> v.resolve("bin")).filter(d -> problemWith(d) == null).forEach(candidates::add);
            } catch (IOException e) {
                // treated as absent
            }
        }
        candidates.sort(Comparator.comparingDouble(PostgresBinaries::sortKey).reversed());
        for (Path dir : candidates) {
            try {
                return new Found(dir, majorVersion(dir), null);
            } catch (IllegalStateException e) {
                // too old or broken: try the next
            }
        }
        return new Found(null, 0, "no pg_ctl on PATH nor under " + DEBIAN_ROOT + "/*/bin");
    }

    private static double sortKey(Path binDir) {
        try {
            return Double.parseDouble(binDir.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String problemWith(Path dir) {
        if (!Files.isDirectory(dir)) {
            return dir + " is not a directory";
        }
        for (String program : PROGRAMS) {
            if (!Files.isExecutable(dir.resolve(program))) {
                return "no executable " + program + " in " + dir;
            }
        }
        return null;
    }

    /**
     * The major version of the server programs in {@code binDir}.
     *
     * @throws IllegalStateException when it cannot be told or is older than {@value #MIN_MAJOR_VERSION}
     */
    static int majorVersion(Path binDir) {
        Path postgres = binDir.resolve("postgres");
        String output;
        try {
            Process p = new ProcessBuilder(postgres.toString(), "--version").redirectErrorStream(true).start();
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(postgres + " --version failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + postgres + " --version: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + postgres + " --version", e);
        }
        Matcher m = VERSION.matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("Cannot read the version from '" + output + "' (" + postgres + ")");
        }
        int major = Integer.parseInt(m.group(1));
        if (major < MIN_MAJOR_VERSION) {
            throw new IllegalStateException(postgres + " is PostgreSQL " + major + "; cdckit needs "
                    + MIN_MAJOR_VERSION + " or later");
        }
        return major;
    }
}
