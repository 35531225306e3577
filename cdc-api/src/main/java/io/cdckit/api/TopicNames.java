package io.cdckit.api;

import java.util.Objects;

/**
 * Topic names: {@code <prefix>.<schema>.<table>}. Kafka allows only ASCII letters, digits,
 * {@code .}, {@code _} and {@code -} in a topic name, at most 249 of them. In the schema and table
 * parts every other character, and the dot too, becomes one {@code _} per Unicode code point, so
 * that a topic always has exactly two dots after the prefix and maps back to one schema and one
 * table position: {@code "My Schema"."Öl.Preise"} becomes {@code <prefix>.My_Schema._l_Preise}.
 * Names that differ only in such characters share a topic. The prefix must itself be a legal topic
 * name of at most {@value #MAX_PREFIX_LENGTH} characters, which leaves room for two PostgreSQL
 * identifiers (at most 63 characters each).
 *
 * <p>Shared by the Kafka integrations (the embedded handler and the Connect connector), so that
 * a table's events land in the same topic whichever publishes them.
 */
public final class TopicNames {

    /** Kafka's longest topic name. */
    public static final int MAX_TOPIC_LENGTH = 249;
    /** The longest prefix: room for two dots and two 63-character identifiers. */
    public static final int MAX_PREFIX_LENGTH = MAX_TOPIC_LENGTH - 2 - 2 * 63;

    private TopicNames() {
    }

    /** The topic of {@code table}'s events under {@code prefix}. */
    public static String topic(String prefix, TableId table) {
        Objects.requireNonNull(table, "table");
        String topic = prefix + "." + part(table.schema()) + "." + part(table.table());
        if (topic.length() > MAX_TOPIC_LENGTH) {
            // PostgreSQL identifiers have at most 63 bytes, so a checked prefix cannot get here
            throw new IllegalArgumentException("topic name for " + table + " is longer than " + MAX_TOPIC_LENGTH
                    + " characters: " + topic);
        }
        return topic;
    }

    /** One schema or table name with every character Kafka does not allow, and the dot, replaced by '_'. */
    public static String part(String name) {
        StringBuilder b = new StringBuilder(name.length());
        name.codePoints().forEach(cp -> b.append(isPlain(cp) ? (char) cp : '_'));
        return b.toString();
    }

    /**
     * Why {@code prefix}, the value of the setting named {@code setting}, cannot start a topic
     * name, or null when it can.
     */
    public static String prefixProblem(String setting, String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return setting + " is required: topics are named <" + setting + ">.<schema>.<table>";
        }
        if (prefix.length() > MAX_PREFIX_LENGTH) {
            return setting + " '" + prefix + "' is longer than " + MAX_PREFIX_LENGTH + " characters, which leaves no "
                    + "room for schema and table in Kafka's " + MAX_TOPIC_LENGTH + "-character topic names";
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (!isPlain(c) && c != '.') {
                return setting + " '" + prefix + "' has the character '" + c + "', which Kafka does not allow in "
                        + "topic names: use only ASCII letters, digits, '.', '_' and '-'";
            }
        }
        return null;
    }

    private static boolean isPlain(int cp) {
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_'
                || cp == '-';
    }
}
