package io.cdckit.testkit;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds or starts the PostgreSQL server for a test run, trying in turn: the server named by
 * {@value #URL_ENV}; a throwaway cluster from local server programs; a Testcontainers container.
 * Reads its environment and system properties through functions, so tests can call it with
 * their own.
 */
final class ServerDiscovery {

    /** JDBC URL of an existing server with wal_level=logical. */
    static final String URL_ENV = "CDC_TEST_JDBC_URL";
    /** User for {@value #URL_ENV}. */
    static final String USER_ENV = "CDC_TEST_JDBC_USER";
    /** Password for {@value #URL_ENV}. */
    static final String PASSWORD_ENV = "CDC_TEST_JDBC_PASSWORD";
    /** System property that turns Testcontainers off when set to {@value PostgresBinaries#DISABLED}. */
    static final String DOCKER_PROPERTY = "cdckit.test.docker";

    /** The settings of the fixture's local cluster. */
    static final Map<String, String> FIXTURE_SETTINGS = fixtureSettings();

    private static final Pattern URL = Pattern.compile("jdbc:postgresql://([^/?]*)(?:/([^?]*))?(\\?.*)?");

    private final Function<String, String> env;
    private final Function<String, String> props;

    /**
     * A discovery that reads environment variables and system properties through the given
     * functions (returning null for unset names).
     */
    ServerDiscovery(Function<String, String> env, Function<String, String> props) {
        this.env = env;
        this.props = props;
    }

    /** A discovery that reads this JVM's environment and system properties. */
    static ServerDiscovery ofSystem() {
        return new ServerDiscovery(System::getenv, System::getProperty);
    }

    private static Map<String, String> fixtureSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("wal_level", "logical");
        s.put("max_replication_slots", "32");
        s.put("max_wal_senders", "32");
        s.put("max_connections", "200");
        s.put("fsync", "off");
        s.put("full_page_writes", "off");
        s.put("listen_addresses", LocalPostgresCluster.HOST);
        return Map.copyOf(s);
    }

    /**
     * Finds or starts a server.
     *
     * @throws IllegalStateException when none of the three ways gives one, with a message that
     *     names what to provide, or when the configured way fails
     */
    PostgresServer discover() {
        String url = env.apply(URL_ENV);
        if (url != null && !url.isBlank()) {
            return fromEnvironment(url.trim());
        }
        List<String> tried = new ArrayList<>();
        tried.add(URL_ENV + " is not set");

        PostgresBinaries.Found binaries = PostgresBinaries.locate(env, props);
        if (binaries.present()) {
            LocalPostgresCluster cluster = LocalPostgresCluster.start(binaries.binDir(), FIXTURE_SETTINGS);
            try {
                return PostgresServer.of(cluster);
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
        }
        tried.add(binaries.whyNot());

        String docker = props.apply(DOCKER_PROPERTY);
        if (docker != null && docker.trim().toLowerCase(Locale.ROOT).equals(PostgresBinaries.DISABLED)) {
            tried.add("Testcontainers is turned off by " + DOCKER_PROPERTY + "=" + PostgresBinaries.DISABLED);
        } else if (ContainerPostgres.dockerAvailable()) {
            return ContainerPostgres.start();
        } else {
            tried.add("no Docker engine answers, so Testcontainers cannot start " + ContainerPostgres.IMAGE);
        }
        throw new IllegalStateException(nothingAvailable(tried));
    }

    static String nothingAvailable(List<String> tried) {
        return "No PostgreSQL server for the cdckit tests (" + String.join("; ", tried) + "). Provide one of:\n"
                + "  1. set " + URL_ENV
                + "=jdbc:postgresql://HOST:PORT/DATABASE (and " + USER_ENV + ", " + PASSWORD_ENV
                + ") to an existing server with wal_level=logical, for a user that may create databases and "
                + "replication slots;\n"
                + "  2. install PostgreSQL server binaries " + PostgresBinaries.MIN_MAJOR_VERSION
                + " or later, e.g. apt-get install postgresql (found on PATH, under /usr/lib/postgresql/*/bin, or "
                + "in the bin directory named by -D" + PostgresBinaries.BIN_PROPERTY + "=DIR or "
                + PostgresBinaries.BIN_ENV + "=DIR);\n"
                + "  3. start a Docker engine, for Testcontainers to run " + ContainerPostgres.IMAGE + ".";
    }

    private PostgresServer fromEnvironment(String url) {
        Matcher m = URL.matcher(url);
        if (!m.matches() || m.group(1).isEmpty()) {
            throw new IllegalStateException(URL_ENV + "=" + url
                    + " is not a JDBC URL of the form jdbc:postgresql://HOST[:PORT]/DATABASE");
        }
        String hosts = m.group(1);
        String database = m.group(2) == null || m.group(2).isEmpty() ? "postgres"
                : URLDecoder.decode(m.group(2), StandardCharsets.UTF_8);
        Map<String, String> params = new LinkedHashMap<>();
        if (m.group(3) != null && m.group(3).length() > 1) {
            for (String pair : m.group(3).substring(1).split("&")) {
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(k, v);
            }
        }
        String user = firstNonBlank(env.apply(USER_ENV), params.remove("user"), "postgres");
        String password = firstNonBlank(env.apply(PASSWORD_ENV), params.remove("password"), null);
        StringBuilder query = new StringBuilder();
        params.forEach((k, v) -> query.append(query.length() == 0 ? '?' : '&')
                .append(java.net.URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8)));

        String first = hosts.split(",")[0];
        String host = first;
        int port = 5432;
        int colon = first.lastIndexOf(':');
        if (colon > 0 && !first.endsWith("]")) {
            host = first.substring(0, colon);
            try {
                port = Integer.parseInt(first.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalStateException(URL_ENV + "=" + url + " has a port that is not a number", e);
            }
        }
        PostgresServer server;
        try {
            server = new PostgresServer(PostgresOrigin.ENVIRONMENT, host, port, hosts, query.toString(), database,
                    user, password, null, "from " + URL_ENV);
        } catch (TestSqlException e) {
            throw new IllegalStateException("Cannot connect to the server of " + URL_ENV + "=" + url + " as user "
                    + user + ": " + e.getCause().getMessage(), e);
        }
        String walLevel = server.queryString(database, "SHOW wal_level");
        if (!"logical".equals(walLevel)) {
            throw new IllegalStateException("The server of " + URL_ENV + "=" + url + " has wal_level=" + walLevel
                    + ", but the cdckit tests need wal_level=logical: run ALTER SYSTEM SET wal_level = logical "
                    + "there and restart it, or unset " + URL_ENV + " to let the tests start their own server.");
        }
        return server;
    }

    private static String firstNonBlank(String a, String b, String fallback) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        if (b != null && !b.isBlank()) {
            return b;
        }
        return fallback;
    }
}
