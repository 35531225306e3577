package io.cdckit.api.jdbc;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.CdcException;

import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * Checks that a JDBC driver on the classpath accepts {@code cdc.jdbc.url} before connecting: a
 * URL the driver refuses (a bad port, say) would otherwise fail with the driver's message, which
 * quotes the whole URL, password and all.
 */
public final class DriverUrlCheck {

    private DriverUrlCheck() {
    }

    /** Fails, naming {@code url} with its password masked, unless a registered driver accepts it. */
    public static void requireAccepted(String url) {
        try {
            DriverManager.getDriver(url);
        } catch (SQLException e) {
            throw new CdcException("cdc.jdbc.url '" + CdcConfig.maskPasswords(url) + "' is not a PostgreSQL JDBC URL "
                    + "the driver accepts: use jdbc:postgresql://host:port/database.");
        }
    }
}
