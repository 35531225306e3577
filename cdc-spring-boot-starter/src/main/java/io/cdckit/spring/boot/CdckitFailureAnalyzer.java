package io.cdckit.spring.boot;

import io.cdckit.api.CdcException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a {@link CdcException} that stopped the application's startup into Spring Boot's failure report:
 * cdckit's message (which names the key, the value and the fix), and as the action, for a configuration
 * error, the {@code cdckit.*} properties to correct, with a suggested key translated to its property
 * ({@code did you mean 'cdc.jdbc.url'} → {@code cdckit.jdbc.url}).
 */
final class CdckitFailureAnalyzer extends AbstractFailureAnalyzer<CdcException> {

    private static final Pattern SUGGESTION = Pattern.compile("did you mean '" + Pattern.quote("cdc.") + "([^']+)'");

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, CdcException cause) {
        CdckitPropertiesException config = findCause(rootFailure, CdckitPropertiesException.class);
        if (config != null) {
            return new FailureAnalysis("The cdckit.* properties are not a valid cdckit configuration:\n\n"
                    + config.getMessage(), action(config), config);
        }
        return new FailureAnalysis("cdckit could not set up its change source:\n\n" + cause.getMessage(),
                "Do what the message above says. cdckit is configured with the cdckit.* properties: cdckit.<key> "
                        + "sets cdckit's key cdc.<key>.", cause);
    }

    private static String action(CdckitPropertiesException e) {
        StringBuilder action = new StringBuilder("Correct the cdckit.* ");
        action.append(e.springProperties().isEmpty() ? "properties" : "properties named above").append(
                "; the property cdckit.<key> sets cdckit's key cdc.<key>, e.g. cdckit.jdbc.url sets cdc.jdbc.url.");
        Set<String> suggestions = new LinkedHashSet<>();
        Matcher m = SUGGESTION.matcher(String.valueOf(e.getMessage()));
        while (m.find()) {
            suggestions.add("cdckit." + m.group(1));
        }
        if (!suggestions.isEmpty()) {
            action.append(" Did you mean ").append(String.join(", ", suggestions)).append('?');
        }
        return action.toString();
    }
}
