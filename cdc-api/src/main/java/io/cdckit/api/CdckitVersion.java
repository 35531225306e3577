package io.cdckit.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of cdckit on the classpath, as strategies put it into {@code source.version}. */
public final class CdckitVersion {

    private static final String VERSION = load();

    private CdckitVersion() {
    }

    /** The version, e.g. {@code 0.1.0}; {@code "unknown"} if the build did not record it. */
    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = CdckitVersion.class.getResourceAsStream("cdckit.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
