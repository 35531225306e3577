package io.cdckit.testkit;

import io.cdckit.api.TableId;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What {@link ReplicaVerifier#verify()} found: both sides' row counts and checksums, and the first
 * rows that differ.
 *
 * <p>Rows are compared by their text form ({@code ROW(t.*)::text}), the same for the checksums and
 * the differences, so a row differs exactly when PostgreSQL prints it differently.
 *
 * @param source          the source table
 * @param replica         the replica table
 * @param sourceRows      rows in the source
 * @param replicaRows     rows in the replica
 * @param sourceChecksum  md5 of the source's rows as text, one a line, in primary-key order
 * @param replicaChecksum md5 of the replica's rows, computed the same way
 * @param differingRows   how many keys are missing in the replica, extra in it, or differ
 * @param differences     the first (at most 10) of them, in primary-key order
 */
public record Verification(TableId source, TableId replica, long sourceRows, long replicaRows,
                           String sourceChecksum, String replicaChecksum, long differingRows,
                           List<Difference> differences) {

    /** How a row of the replica differs from the source. */
    public enum Kind {
        /** The source has the key, the replica does not: a change was lost. */
        MISSING_IN_REPLICA("missing in replica"),
        /** The replica has a key the source does not: a change was invented, or a delete lost. */
        EXTRA_IN_REPLICA("extra in replica"),
        /** Both have the key with different values: a change lost, invented or applied out of order. */
        DIFFERENT("different");

        private final String text;

        Kind(String text) {
            this.text = text;
        }

        /** Words for messages, e.g. {@code missing in replica}. */
        public String text() {
            return text;
        }
    }

    /**
     * One differing key.
     *
     * @param kind       how it differs
     * @param key        the primary-key values as PostgreSQL prints them, in key order
     * @param sourceRow  the source row as text, or null when the source lacks the key
     * @param replicaRow the replica row as text, or null when the replica lacks the key
     */
    public record Difference(Kind kind, Map<String, String> key, String sourceRow, String replicaRow) {

        /** Freezes the key. */
        public Difference {
            Objects.requireNonNull(kind, "kind");
            key = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(key, "key")));
        }

        /** The key as {@code col=value, ...}. */
        public String keyText() {
            return key.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", "));
        }

        /** e.g. {@code different: id=5, source (5,a), replica (5,b)}. */
        public String describe() {
            StringBuilder sb = new StringBuilder(kind.text()).append(": ").append(keyText());
            if (sourceRow != null) {
                sb.append(", source ").append(shorten(sourceRow));
            }
            if (replicaRow != null) {
                sb.append(", replica ").append(shorten(replicaRow));
            }
            return sb.toString();
        }
    }

    /** Copies the differences. */
    public Verification {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(replica, "replica");
        differences = List.copyOf(differences);
    }

    /** True when the replica holds exactly the source's rows. */
    public boolean matches() {
        return differingRows == 0 && sourceRows == replicaRows && Objects.equals(sourceChecksum, replicaChecksum);
    }

    /**
     * A readable summary for assertion messages: whether the tables match, counts, checksums and
     * the first differing keys.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(replica).append(matches() ? " matches " : " does NOT match ").append(source)
                .append(": source ").append(sourceRows).append(" rows (md5 ").append(sourceChecksum)
                .append("), replica ").append(replicaRows).append(" rows (md5 ").append(replicaChecksum).append(')');
        if (differingRows > 0) {
            sb.append("; ").append(differingRows).append(differingRows == 1 ? " key differs" : " keys differ");
            if (differences.size() < differingRows) {
                sb.append(", the first ").append(differences.size());
            }
            sb.append(':');
            for (Difference d : differences) {
                sb.append("\n  ").append(d.describe());
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    private static String shorten(String row) {
        return row.length() <= 300 ? row : row.substring(0, 300) + "...";
    }
}
