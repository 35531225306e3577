package io.cdckit.testkit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL cluster made with the server programs installed on this machine: initdb
 * into a fresh directory under the module's {@code target/cdckit-pg/}, started with pg_ctl on a
 * free port of 127.0.0.1, with SCRAM password authentication for the superuser
 * {@value #ADMIN_USER} and a random password. Unix-domain sockets are turned off; clients use TCP.
 *
 * <p>When the JVM runs as root, the server runs as the OS user {@code postgres} (PostgreSQL
 * refuses to run as root). Every cluster still open when the JVM exits is stopped (immediate) and
 * deleted by a shutdown hook; clusters of JVMs that were killed before their hook ran are stopped
 * and deleted by the next {@link #start(Map)} in the same {@code target/} directory.
 *
 * <p>The server can be stopped, started and restarted while the object lives, e.g. to test how a
 * client survives a server crash ({@link ShutdownMode#IMMEDIATE}). It keeps its port across
 * restarts. Instances are thread-safe.
 */
public final class LocalPostgresCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalPostgresCluster.class);

    /** The superuser that initdb creates. */
    public static final String ADMIN_USER = "cdckit";

    /** The host the server listens on. */
    public static final String HOST = "127.0.0.1";

    private static final String INCLUDED_CONF = "cdckit.conf";
    private static final Duration PROGRAM_TIMEOUT = Duration.ofSeconds(120);
    private static final int PG_CTL_WAIT_SECONDS = 90;
    private static final int PORT_ATTEMPTS = 5;
    private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final Set<LocalPostgresCluster> OPEN = ConcurrentHashMap.newKeySet();
    private static final Object STATIC_LOCK = new Object();
    private static boolean hookInstalled;
    private static Path baseDir;

    private final Path directory;
    private final Path dataDirectory;
    private final Path serverLog;
    private final Path binDirectory;
    private final int majorVersion;
    private final String password;
    private final Map<String, String> requested;
    private final boolean portRequested;
    private int port;
    private boolean everStarted;
    private boolean closed;

    private LocalPostgresCluster(Path directory, Path binDirectory, int majorVersion, String password,
            Map<String, String> requested) {
        this.directory = directory;
        this.dataDirectory = directory.resolve("data");
        this.serverLog = directory.resolve("server.log");
        this.binDirectory = binDirectory;
        this.majorVersion = majorVersion;
        this.password = password;
        this.requested = requested;
        this.portRequested = requested.containsKey("port");
        this.port = portRequested ? Integer.parseInt(requested.get("port").trim()) : 0;
    }

    /**
     * Makes and starts a cluster with the server programs found the way the fixture finds them:
     * the directory named by the system property {@code cdckit.test.pg.bin} or the environment
     * variable {@code CDC_TEST_PG_BIN}, else {@code pg_ctl} on PATH, else the highest version under
     * {@code /usr/lib/postgresql/*}{@code /bin}.
     *
     * @param settings server settings for postgresql.conf, e.g. {@code wal_level=logical}; they
     *     override the defaults {@code listen_addresses=127.0.0.1} and
     *     {@code unix_socket_directories=''}. Without a {@code port}, a free port is chosen.
     * @return the running cluster
     * @throws IllegalStateException when no server programs are found or the cluster cannot start;
     *     the message includes the end of the server log
     */
    public static LocalPostgresCluster start(Map<String, String> settings) {
        PostgresBinaries.Found found = PostgresBinaries.locate(System::getenv, System::getProperty);
        if (!found.present()) {
            throw new IllegalStateException("Cannot make a local PostgreSQL cluster: " + found.whyNot()
                    + ". Install PostgreSQL server binaries " + PostgresBinaries.MIN_MAJOR_VERSION
                    + " or later (e.g. apt-get install postgresql) or name their bin directory with -D"
                    + PostgresBinaries.BIN_PROPERTY + "=DIR.");
        }
        return start(found.binDir(), settings);
    }

    /**
     * Makes and starts a cluster with the server programs in {@code binDirectory}.
     *
     * @param binDirectory a directory holding pg_ctl, initdb and postgres (version 12 or later)
     * @param settings server settings for postgresql.conf, as for {@link #start(Map)}
     * @return the running cluster
     * @throws IllegalStateException when the cluster cannot be made or started; the message
     *     includes the output of the failing program and the end of the server log
     */
    public static LocalPostgresCluster start(Path binDirectory, Map<String, String> settings) {
        Map<String, String> requested = new LinkedHashMap<>();
        settings.forEach((k, v) -> {
            if (!SETTING_NAME.matcher(k).matches()) {
                throw new IllegalArgumentException("Not a PostgreSQL setting name: '" + k + "'");
            }
            requested.put(k.toLowerCase(Locale.ROOT), v == null ? "" : v);
        });
        if (requested.containsKey("port")) {
            try {
                Integer.parseInt(requested.get("port").trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port must be a number: '" + requested.get("port") + "'", e);
            }
        }
        int major = PostgresBinaries.majorVersion(binDirectory);
        Path base = baseDirectory();
        Path dir;
        try {
            dir = Files.createDirectory(base.resolve(randomId()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot make a cluster directory in " + base, e);
        }
        LocalPostgresCluster cluster = new LocalPostgresCluster(dir, binDirectory, major, randomPassword(),
                Collections.unmodifiableMap(requested));
        OPEN.add(cluster);
        try {
            LeftoverClusters.recordOwner(dir, binDirectory);
            ServerOsUser.handOver(dir, "rwx------");
            cluster.initdb();
            cluster.start();
        } catch (RuntimeException e) {
            try {
                cluster.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return cluster;
    }

    /**
     * The directory under which clusters are made: {@code target/cdckit-pg} of the module under
     * test. When the JVM runs as root and the OS user {@code postgres} cannot reach that
     * directory (a parent directory is not traversable), a directory under java.io.tmpdir instead.
     * Leftover clusters of dead JVMs found there are removed the first time.
     */
    static Path baseDirectory() {
        synchronized (STATIC_LOCK) {
            if (baseDir == null) {
                Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
                Path preferred = module.resolve("target").resolve("cdckit-pg").toAbsolutePath().normalize();
                Path chosen = preferred;
                makeBase(preferred);
                if (!ServerOsUser.canEnter(preferred)) {
                    chosen = Path.of(System.getProperty("java.io.tmpdir"), "cdckit-pg").toAbsolutePath();
                    LOG.warn("The OS user {} cannot reach {} (a parent directory is not traversable); making "
                            + "PostgreSQL clusters under {} instead", ServerOsUser.name(), preferred, chosen);
                    makeBase(chosen);
                }
                LeftoverClusters.reap(chosen);
                baseDir = chosen;
            }
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(LocalPostgresCluster::closeAllOpen,
                        "cdckit-postgres-cleanup"));
                hookInstalled = true;
            }
            return baseDir;
        }
    }

    private static void makeBase(Path dir) {
        try {
            Files.createDirectories(dir);
            if (ServerOsUser.jvmIsRoot()) {
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot make the directory " + dir, e);
        }
    }

    private static void closeAllOpen() {
        for (LocalPostgresCluster cluster : List.copyOf(OPEN)) {
            try {
                cluster.close();
            } catch (RuntimeException e) {
                LOG.warn("Cannot remove {}: {}", cluster, e.toString());
            }
        }
    }

    private void initdb() {
        Path pwfile = directory.resolve("pwfile");
        try {
            Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
            ServerOsUser.handOver(pwfile, "rw-------");
            ServerCommand.Result r = ServerCommand.run(List.of(program("initdb"), "-D", dataDirectory.toString(),
                    "-U", ADMIN_USER, "--auth=scram-sha-256", "--pwfile=" + pwfile, "--encoding=UTF8",
                    "--locale=C", "--no-sync"), directory, PROGRAM_TIMEOUT);
            if (r.exitCode() != 0) {
                throw new IllegalStateException("initdb failed (exit code " + r.exitCode() + ") for " + dataDirectory
                        + ":\n" + r.output());
            }
            Files.writeString(dataDirectory.resolve("postgresql.conf"),
                    "\n# settings of the cdckit test cluster\ninclude = '" + INCLUDED_CONF + "'\n",
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot make the cluster in " + directory, e);
        } finally {
            try {
                Files.deleteIfExists(pwfile);
            } catch (IOException e) {
                LOG.warn("Cannot delete {}: {}", pwfile, e.toString());
            }
        }
    }

    private void writeSettings() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("listen_addresses", HOST);
        all.put("unix_socket_directories", "");
        all.putAll(requested);
        all.put("port", Integer.toString(port));
        StringBuilder conf = new StringBuilder("# written by cdckit's LocalPostgresCluster\n");
        all.forEach((k, v) -> conf.append(k).append(" = '")
                .append(v.replace("\\", "\\\\").replace("'", "''")).append("'\n"));
        Path file = dataDirectory.resolve(INCLUDED_CONF);
        try {
            Files.writeString(file, conf, StandardCharsets.UTF_8);
            ServerOsUser.handOver(file, "rw-------");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    /**
     * Starts the server of a stopped cluster and waits until it accepts connections.
     *
     * @throws IllegalStateException when the cluster is closed or already running, or the server
     *     does not start; the message includes the end of the server log
     */
    public synchronized void start() {
        checkOpen();
        if (everStarted && isRunning()) {
            throw new IllegalStateException("The server of " + this + " is already running");
        }
        int attempts = everStarted || portRequested ? 1 : PORT_ATTEMPTS;
        for (int attempt = 1; ; attempt++) {
            if (!everStarted && !portRequested) {
                port = freePort();
            }
            writeSettings();
            long logOffset = logSize();
            ServerCommand.Result r = pgCtl("start", "-l", serverLog.toString(), "-w", "-t",
                    Integer.toString(PG_CTL_WAIT_SECONDS));
            if (r.exitCode() == 0) {
                everStarted = true;
                LOG.info("PostgreSQL {} cluster {} running on {}:{}", majorVersion, directory, HOST, port);
                return;
            }
            String newLog = logSince(logOffset);
            boolean portTaken = newLog.contains("could not bind") || newLog.contains("Address already in use");
            if (portTaken && attempt < attempts) {
                LOG.info("Port {} was taken meanwhile; trying another", port);
                continue;
            }
            throw new IllegalStateException("pg_ctl start failed (exit code " + r.exitCode() + ") for "
                    + dataDirectory + ":\n" + r.output() + "\n--- end of " + serverLog + " ---\n" + logTail());
        }
    }

    /**
     * Stops the server; does nothing when it is not running.
     *
     * @param mode how: {@link ShutdownMode#SMART} waits for the clients to disconnect (and fails
     *     after 90 s when they don't), {@link ShutdownMode#FAST} disconnects them,
     *     {@link ShutdownMode#IMMEDIATE} kills the server as a crash would
     * @throws IllegalStateException when the cluster is closed or the server does not stop
     */
    public synchronized void stop(ShutdownMode mode) {
        checkOpen();
        stopServer(mode);
    }

    private void stopServer(ShutdownMode mode) {
        if (!isRunning()) {
            return;
        }
        ServerCommand.Result r = pgCtl("stop", "-m", mode.pgCtlName(), "-w", "-t",
                Integer.toString(PG_CTL_WAIT_SECONDS));
        if (r.exitCode() != 0 && isRunning()) {
            throw new IllegalStateException("pg_ctl stop -m " + mode.pgCtlName() + " failed (exit code "
                    + r.exitCode() + ") for " + dataDirectory + ":\n" + r.output() + "\n--- end of " + serverLog
                    + " ---\n" + logTail());
        }
        LOG.info("PostgreSQL cluster {} stopped ({})", directory, mode.pgCtlName());
    }

    /**
     * Stops the server with {@code mode} and starts it again on the same port. Data committed
     * before survives every mode; after {@link ShutdownMode#IMMEDIATE} the server first runs crash
     * recovery.
     */
    public synchronized void restart(ShutdownMode mode) {
        stop(mode);
        start();
    }

    /** Whether the server is running now ({@code pg_ctl status}). */
    public synchronized boolean isRunning() {
        if (closed || !Files.isDirectory(dataDirectory)) {
            return false;
        }
        return ServerCommand.run(List.of(program("pg_ctl"), "status", "-D", dataDirectory.toString()), directory,
                PROGRAM_TIMEOUT, true).exitCode() == 0;
    }

    /**
     * The process id of the running postmaster, e.g. to send it a signal.
     *
     * @throws IllegalStateException when the server is not running
     */
    public synchronized long postmasterPid() {
        return LeftoverClusters.postmaster(dataDirectory).map(ProcessHandle::pid)
                .orElseThrow(() -> new IllegalStateException("The server of " + this + " is not running"));
    }

    /** Stops the server (immediate) and deletes the cluster directory. Calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            if (Files.isDirectory(dataDirectory)) {
                try {
                    stopServer(ShutdownMode.IMMEDIATE);
                } catch (RuntimeException e) {
                    LOG.warn("Cannot stop {} with pg_ctl: {}", this, e.toString());
                    LeftoverClusters.stopPostmaster(dataDirectory, binDirectory.toString());
                }
            }
            closed = true;
            LeftoverClusters.deleteTree(directory);
            LOG.info("PostgreSQL cluster {} removed", directory);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + directory, e);
        } finally {
            closed = true;
            OPEN.remove(this);
        }
    }

    /** The host the server listens on: {@value #HOST}. */
    public String host() {
        return HOST;
    }

    /** The TCP port the server listens on; it stays the same across restarts. */
    public synchronized int port() {
        return port;
    }

    /** The superuser's name: {@value #ADMIN_USER}. */
    public String adminUser() {
        return ADMIN_USER;
    }

    /** The superuser's password, random for each cluster. */
    public String adminPassword() {
        return password;
    }

    /** The JDBC URL of {@code database} on this server, e.g. {@code jdbc:postgresql://127.0.0.1:5433/postgres}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port() + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /** The major version of the server programs, e.g. 15. */
    public int majorVersion() {
        return majorVersion;
    }

    /** The cluster directory, holding the data directory and the server log. */
    public Path directory() {
        return directory;
    }

    /** The data directory (PGDATA). */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The server log, which pg_ctl appends to at every start. */
    public Path serverLog() {
        return serverLog;
    }

    /** The directory of the server programs used. */
    public Path binDirectory() {
        return binDirectory;
    }

    /** The settings asked for at {@link #start(Map)} (names in lower case). */
    public Map<String, String> settings() {
        return requested;
    }

    /** The last lines of the server log, for error messages. */
    public String logTail() {
        return tail(serverLog, 40);
    }

    /** Describes the cluster without its password. */
    @Override
    public String toString() {
        return "LocalPostgresCluster[" + directory + ", " + HOST + ":" + port + ", PostgreSQL " + majorVersion + "]";
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private ServerCommand.Result pgCtl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(program("pg_ctl"));
        command.add(args[0]);
        command.add("-D");
        command.add(dataDirectory.toString());
        command.addAll(List.of(args).subList(1, args.length));
        return ServerCommand.run(command, directory, PROGRAM_TIMEOUT);
    }

    private String program(String name) {
        return binDirectory.resolve(name).toString();
    }

    private long logSize() {
        try {
            return Files.exists(serverLog) ? Files.size(serverLog) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        try (RandomAccessFile f = new RandomAccessFile(serverLog.toFile(), "r")) {
            long length = f.length();
            if (length <= offset) {
                return "";
            }
            byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
            f.seek(offset);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(" + file + " cannot be read: " + e + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port on " + HOST, e);
        }
    }

    private static String randomId() {
        return Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
    }

    private static String randomPassword() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        StringBuilder sb = new StringBuilder(24);
        for (int i = 0; i < 24; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
