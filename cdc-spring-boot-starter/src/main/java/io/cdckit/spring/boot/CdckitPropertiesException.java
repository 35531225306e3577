package io.cdckit.spring.boot;

import io.cdckit.api.CdcException;

import java.util.Map;

/**
 * cdckit's configuration error ({@link CdcException}, naming the {@code cdc.*} key, the value and what
 * is allowed) for a configuration read from the {@code cdckit.*} properties of a Spring application:
 * the message is cdckit's, followed by the Spring properties that set the keys it names and where they
 * come from. The original error is the cause.
 */
public final class CdckitPropertiesException extends CdcException {

    private static final long serialVersionUID = 1L;

    /** cdckit key → the Spring property that set it, with its origin. */
    private final transient Map<String, String> springProperties;

    private CdckitPropertiesException(String message, CdcException cause, Map<String, String> springProperties) {
        super(message, cause);
        this.springProperties = Map.copyOf(springProperties);
    }

    static CdckitPropertiesException of(CdcException cause, Map<String, String> springProperties) {
        StringBuilder message = new StringBuilder(String.valueOf(cause.getMessage()));
        if (!springProperties.isEmpty()) {
            message.append("\nSet by the Spring ").append(springProperties.size() == 1 ? "property " : "properties ")
                    .append(String.join(", ", springProperties.values())).append('.');
        }
        message.append("\nIn Spring Boot, the property cdckit.<key> sets cdckit's key cdc.<key>.");
        return new CdckitPropertiesException(message.toString(), cause, springProperties);
    }

    /**
     * The Spring properties behind the keys the message names: cdckit key (e.g. {@code cdc.jdbc.urll}) →
     * property and origin (e.g. {@code cdckit.jdbc.urll (class path resource [application.yml] - 5:5)}).
     */
    public Map<String, String> springProperties() {
        return springProperties == null ? Map.of() : springProperties;
    }
}
