package io.cdckit.spring.boot;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;
import io.cdckit.api.ConfigKey;
import io.cdckit.api.spi.ChangeSourceProvider;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.origin.Origin;
import org.springframework.core.env.Environment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads cdckit's configuration from the Spring {@link Environment}: every property
 * {@code cdckit.<key>} becomes the key {@code cdc.<key>} of {@link CdcConfig}, e.g.
 * {@code cdckit.jdbc.url} → {@code cdc.jdbc.url}, {@code cdckit.batch.max-size} →
 * {@code cdc.batch.max-size}, {@code cdckit.jdbc.properties.sslmode} →
 * {@code cdc.jdbc.properties.sslmode}. Every property source of the application takes part, in
 * Spring's order of precedence (command line, environment variables, {@code application.yml}, ...),
 * and placeholders are resolved.
 *
 * <p>The names are kept as written: {@code cdckit.*} is not bound to a Java bean, so Spring's relaxed
 * binding does not rename them, and driver properties keep their case
 * ({@code cdckit.jdbc.properties.tcpKeepAlive}). Two forms are folded into cdckit's own names:
 * <ul>
 *   <li>a YAML list ({@code cdckit.tables: [public.orders, public.customers]}, i.e. the properties
 *       {@code cdckit.tables[0]}, {@code cdckit.tables[1]}) becomes one comma-separated value;</li>
 *   <li>a name that is not a declared key but differs from exactly one declared key only in case and
 *       dashes is that key, so that environment variables, which cannot hold dashes, work:
 *       {@code CDCKIT_BATCH_MAXSIZE=500} sets {@code cdc.batch.max-size}.</li>
 * </ul>
 * Anything else goes to {@link CdcConfig} as it is, which rejects an unknown key or an invalid value
 * naming the key and suggesting the closest known one.
 *
 * <p>Two properties belong to the starter and are not passed on: {@value #ENABLED} and
 * {@value #USE_APPLICATION_DATASOURCE}.
 */
public final class CdckitProperties {

    /** The prefix of cdckit's properties in the Spring environment. */
    public static final String PREFIX = "cdckit";
    /** {@code false} switches the auto-configuration off although {@code cdckit.mode} is set; default true. */
    public static final String ENABLED = "cdckit.enabled";
    /**
     * {@code true} lends the application's {@link javax.sql.DataSource} bean to the source for its short
     * work; default false.
     */
    public static final String USE_APPLICATION_DATASOURCE = "cdckit.use-application-datasource";

    private static final String CDC_PREFIX = "cdc.";
    /** An element of a list: {@code tables[0]}, which the binder gives as {@code tables.0}. */
    private static final Pattern INDEXED = Pattern.compile("(.+?)(?:\\[(\\d+)]|\\.(\\d+))");

    private CdckitProperties() {
    }

    /**
     * The {@code cdckit.*} properties of {@code environment} as cdckit keys ({@code cdc.*}) and values, in
     * key order, without the starter's own properties.
     */
    public static Map<String, String> cdcValues(Environment environment) {
        Map<String, String> values = new TreeMap<>();
        springKeys(environment).forEach((cdcKey, springKey) -> values.put(cdcKey, springKey.value()));
        return values;
    }

    /**
     * Builds and validates the {@link CdcConfig} of the {@code cdckit.*} properties of {@code environment}.
     *
     * @throws CdckitPropertiesException when {@link CdcConfig} rejects them; the message is cdckit's, naming
     *                                   the {@code cdc.*} key, followed by the Spring properties that set it
     *                                   and where they come from
     */
    public static CdcConfig cdcConfig(Environment environment) {
        Map<String, SpringKey> keys = springKeys(environment);
        Map<String, String> values = new LinkedHashMap<>();
        keys.forEach((cdcKey, springKey) -> values.put(cdcKey, springKey.value()));
        try {
            return CdcConfig.from(values);
        } catch (CdcException e) {
            throw CdckitPropertiesException.of(e, settingOrigins(environment, keys, e.getMessage()));
        }
    }

    /** Whether the starter's switch {@value #USE_APPLICATION_DATASOURCE} is on. */
    static boolean useApplicationDataSource(Environment environment) {
        return Binder.get(environment).bind(USE_APPLICATION_DATASOURCE, Boolean.class).orElse(false);
    }

    /** The Spring property (name and value) behind each cdckit key. */
    private static Map<String, SpringKey> springKeys(Environment environment) {
        Objects.requireNonNull(environment, "environment");
        Map<String, String> bound = Binder.get(environment)
                .bind(PREFIX, Bindable.mapOf(String.class, String.class))
                .orElseGet(Map::of);
        List<ConfigKey<?>> declared = declaredKeys();
        Map<String, SpringKey> exact = new TreeMap<>();
        Map<String, SpringKey> relaxed = new TreeMap<>();
        Map<String, TreeMap<Integer, String>> lists = new TreeMap<>();
        for (Map.Entry<String, String> e : bound.entrySet()) {
            String name = e.getKey();
            Matcher indexed = INDEXED.matcher(name);
            if (indexed.matches()) {
                String index = indexed.group(2) != null ? indexed.group(2) : indexed.group(3);
                lists.computeIfAbsent(indexed.group(1), k -> new TreeMap<>())
                        .put(Integer.parseInt(index), e.getValue());
            } else {
                put(name, e.getValue(), PREFIX + "." + name, declared, exact, relaxed);
            }
        }
        lists.forEach((name, items) -> put(name, String.join(",", items.values()),
                PREFIX + "." + name + "[" + items.firstKey() + "]", declared, exact, relaxed));
        relaxed.forEach(exact::putIfAbsent);
        return exact;
    }

    /**
     * Files the property {@code cdckit.<name>} (found as {@code springName}) under its cdckit key: under
     * {@code cdc.<name>} in {@code exact} when that is a declared key or not like any, else under the
     * declared key it matches in {@code relaxed}.
     */
    private static void put(String name, String value, String springName, List<ConfigKey<?>> declared,
                            Map<String, SpringKey> exact, Map<String, SpringKey> relaxed) {
        if (isStarterKey(PREFIX + "." + name)) {
            return;
        }
        String cdcKey = CDC_PREFIX + name;
        String canonical = canonical(cdcKey, declared);
        SpringKey property = new SpringKey(springName, value == null ? "" : value);
        if (canonical.equals(cdcKey)) {
            exact.put(cdcKey, property);
        } else {
            relaxed.putIfAbsent(canonical, property);
        }
    }

    private static boolean isStarterKey(String springKey) {
        String uniform = uniform(springKey);
        return uniform.equals(uniform(ENABLED)) || uniform.equals(uniform(USE_APPLICATION_DATASOURCE));
    }

    /**
     * {@code cdcKey} itself when it is declared or lies under a declared prefix, else the first declared key
     * that equals it but for case and dashes, else {@code cdcKey}.
     */
    private static String canonical(String cdcKey, List<ConfigKey<?>> declared) {
        String match = null;
        for (ConfigKey<?> k : declared) {
            if (k.isPrefix()) {
                if (cdcKey.startsWith(k.name().substring(0, k.name().length() - 1))) {
                    return cdcKey;
                }
            } else if (k.name().equals(cdcKey)) {
                return cdcKey;
            } else if (uniform(k.name()).equals(uniform(cdcKey))) {
                match = match == null ? k.name() : match;
            }
        }
        return match != null ? match : cdcKey;
    }

    private static String uniform(String name) {
        return name.replace("-", "").toLowerCase(Locale.ROOT);
    }

    /** The common keys and those of every strategy on the classpath, as {@link CdcConfig} knows them. */
    private static List<ConfigKey<?>> declaredKeys() {
        List<ConfigKey<?>> keys = new ArrayList<>(CdcConfig.COMMON_KEYS);
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        ServiceLoader<ChangeSourceProvider> providers = cl == null
                ? ServiceLoader.load(ChangeSourceProvider.class)
                : ServiceLoader.load(ChangeSourceProvider.class, cl);
        providers.forEach(p -> keys.addAll(p.configKeys()));
        return keys;
    }

    /**
     * For each cdckit key that {@code message} names (quoted, as cdckit's messages quote keys), the Spring
     * property that set it and, where known, where it comes from (a file and line, an environment variable).
     */
    private static Map<String, String> settingOrigins(Environment environment, Map<String, SpringKey> keys,
                                                      String message) {
        Map<String, String> origins = new LinkedHashMap<>();
        Iterable<ConfigurationPropertySource> sources = ConfigurationPropertySources.get(environment);
        keys.forEach((cdcKey, springKey) -> {
            if (message != null && message.contains("'" + cdcKey + "'")) {
                Origin origin = origin(sources, springKey.name());
                origins.put(cdcKey, springKey.name() + (origin == null ? "" : " (" + origin + ")"));
            }
        });
        return origins;
    }

    private static Origin origin(Iterable<ConfigurationPropertySource> sources, String springName) {
        ConfigurationPropertyName name = ConfigurationPropertyName.adapt(springName, '.');
        for (ConfigurationPropertySource source : sources) {
            ConfigurationProperty property = source.getConfigurationProperty(name);
            if (property != null) {
                return property.getOrigin();
            }
        }
        return null;
    }

    /** A Spring property: its name as found ({@code cdckit.jdbc.url}, {@code cdckit.tables[0]}) and its value. */
    private record SpringKey(String name, String value) {
    }
}
