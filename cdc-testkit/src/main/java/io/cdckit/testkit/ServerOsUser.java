package io.cdckit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.List;

/**
 * The operating-system user that PostgreSQL server programs run as. PostgreSQL refuses to run as
 * root, so when this JVM runs as root the programs run as the {@code postgres} user through
 * {@code runuser}, and the files they use are handed over to that user. Otherwise they run as the
 * JVM's own user.
 */
final class ServerOsUser {

    /** The OS user that Debian's and most other PostgreSQL packages create. */
    static final String POSTGRES = "postgres";

    private static final List<Path> RUNUSER_LOCATIONS = List.of(
            Path.of("/usr/sbin/runuser"), Path.of("/sbin/runuser"), Path.of("/usr/bin/runuser"),
            Path.of("/bin/runuser"));

    private static volatile Boolean root;

    private ServerOsUser() {
    }

    /** Whether this JVM runs as root (uid 0). */
    static boolean jvmIsRoot() {
        Boolean r = root;
        if (r == null) {
            r = detectRoot();
            root = r;
        }
        return r;
    }

    private static boolean detectRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** The name of the OS user the server programs run as. */
    static String name() {
        return jvmIsRoot() ? POSTGRES : System.getProperty("user.name");
    }

    /**
     * The command line that runs {@code command} as the server OS user: unchanged when the JVM is
     * not root, prefixed with {@code runuser -u postgres --} when it is.
     */
    static List<String> wrap(List<String> command) {
        if (!jvmIsRoot()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>();
        wrapped.add(runuser().toString());
        wrapped.add("-u");
        wrapped.add(POSTGRES);
        wrapped.add("--");
        wrapped.addAll(command);
        return wrapped;
    }

    private static Path runuser() {
        for (Path p : RUNUSER_LOCATIONS) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("This JVM runs as root, and PostgreSQL refuses to run as root: the server "
                + "must run as the OS user '" + POSTGRES + "', but 'runuser' (util-linux) was not found in "
                + RUNUSER_LOCATIONS + ". Install util-linux, or run the build as a user other than root.");
    }

    /**
     * Hands {@code path} over to the server OS user (when the JVM is root) with the given POSIX
     * permissions, e.g. {@code rwx------}.
     */
    static void handOver(Path path, String permissions) {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
            if (jvmIsRoot()) {
                Files.setOwner(path, postgresPrincipal());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot give " + path + " to the OS user " + name(), e);
        }
    }

    private static UserPrincipal postgresPrincipal() throws IOException {
        try {
            return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(POSTGRES);
        } catch (UserPrincipalNotFoundException e) {
            throw new IllegalStateException("This JVM runs as root, and PostgreSQL refuses to run as root: the server "
                    + "must run as the OS user '" + POSTGRES + "', which does not exist. Installing PostgreSQL from "
                    + "the distribution's packages (e.g. apt-get install postgresql) creates it; or run the build "
                    + "as a user other than root.", e);
        }
    }

    /**
     * Whether the server OS user can reach and enter {@code dir} (every parent directory must be
     * traversable). Always true when the JVM is not root, since the server then runs as the JVM's
     * own user.
     */
    static boolean canEnter(Path dir) {
        if (!jvmIsRoot()) {
            return true;
        }
        try {
            Process p = new ProcessBuilder(wrap(List.of("test", "-x", dir.toString())))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
