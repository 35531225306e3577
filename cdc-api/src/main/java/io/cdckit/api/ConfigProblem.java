package io.cdckit.api;

import java.util.Objects;

/**
 * One problem {@link CdcConfig#check} found in a configuration.
 *
 * @param key     the configuration key it concerns, e.g. {@code cdc.mode}
 * @param message what is wrong and how to fix it, with secrets masked
 */
public record ConfigProblem(String key, String message) {

    /** Checks that both parts are present. */
    public ConfigProblem {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(message, "message");
    }
}
