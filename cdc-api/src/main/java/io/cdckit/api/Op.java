package io.cdckit.api;

/**
 * The kind of change an event describes, with Debezium's one-letter codes.
 */
public enum Op {
    /** A row was inserted ({@code "c"}). */
    CREATE("c"),
    /** A row was updated ({@code "u"}). */
    UPDATE("u"),
    /** A row was deleted ({@code "d"}). */
    DELETE("d"),
    /** A row was read by a snapshot ({@code "r"}). */
    READ("r"),
    /** A table was truncated ({@code "t"}). */
    TRUNCATE("t");

    private final String code;

    Op(String code) {
        this.code = code;
    }

    /** Debezium's code: {@code "c"}, {@code "u"}, {@code "d"}, {@code "r"} or {@code "t"}. */
    public String code() {
        return code;
    }

    /**
     * The operation for a Debezium code.
     *
     * @throws IllegalArgumentException if the code is not one of c, u, d, r, t
     */
    public static Op fromCode(String code) {
        for (Op op : values()) {
            if (op.code.equals(code)) {
                return op;
            }
        }
        throw new IllegalArgumentException("Unknown op code '" + code + "': expected one of c, u, d, r, t");
    }
}
