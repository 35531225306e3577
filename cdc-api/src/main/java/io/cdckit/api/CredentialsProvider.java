package io.cdckit.api;

/**
 * Hands out the password a source logs in with, asked each time cdckit opens a connection
 * (including every reconnect and every connection its pool adds), so credentials that rotate,
 * such as a cloud IAM token generator's, are picked up without a restart.
 *
 * <pre>{@code
 * ChangeSource source = ChangeSources.builder(config)
 *         .credentials(user -> tokenGenerator.generate(host, port, user))
 *         .build();
 * }</pre>
 *
 * <p>The password returned is masked in every message cdckit writes. When no provider is given,
 * {@code cdc.jdbc.password} is used.
 */
@FunctionalInterface
public interface CredentialsProvider {

    /**
     * The password to log in as {@code user} with, now.
     *
     * @param user the database user ({@code cdc.jdbc.user}, or the user of a given DataSource); may be null
     * @return the password, or null to log in without one
     * @throws Exception when no password can be had; opening the connection then fails with it as the cause
     */
    String password(String user) throws Exception;
}
