package io.cdckit.logbased;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages of PostgreSQL's {@code pgoutput} logical replication protocol (version 1, the
 * text format), decoded from the bytes of one replication message: begin, commit, relation,
 * insert, update, delete, truncate and logical decoding messages. Type and origin messages carry
 * nothing the reader needs and decode to {@link Skipped}. The format is PostgreSQL's
 * "Logical Replication Message Formats".
 */
sealed interface PgOutputMessage {

    /** A transaction begins; its changes follow up to its {@link Commit}. */
    record Begin(long finalLsn, long commitTimeMicros, long xid) implements PgOutputMessage {
    }

    /** The transaction commits at {@code commitLsn}; {@code endLsn} is where the next one may start. */
    record Commit(long commitLsn, long endLsn, long commitTimeMicros) implements PgOutputMessage {
    }

    /** A table's description, sent before its first change and again after it changed. */
    record Relation(int oid, String schema, String table, char replicaIdentity, List<RelationColumn> columns)
            implements PgOutputMessage {
    }

    /**
     * A column of a relation message.
     *
     * @param key true when the column is part of the table's replica identity
     */
    record RelationColumn(String name, int typeOid, int typeModifier, boolean key) {
    }

    /** A row inserted. */
    record Insert(int relation, Tuple after) implements PgOutputMessage {
    }

    /**
     * A row updated: {@code before} is the old row under {@code REPLICA IDENTITY FULL} ('O'), its
     * old key when the key changed ('K'), else null.
     */
    record Update(int relation, Tuple before, Tuple after) implements PgOutputMessage {
    }

    /** A row deleted; {@code before} is the old row ('O') or its key ('K'). */
    record Delete(int relation, Tuple before) implements PgOutputMessage {
    }

    /** Tables truncated. */
    record Truncate(int[] relations) implements PgOutputMessage {
    }

    /** A logical decoding message ({@code pg_logical_emit_message}). */
    record Message(boolean transactional, long lsn, String prefix, byte[] content) implements PgOutputMessage {
    }

    /** A message the reader has no use for (type, origin). */
    record Skipped(char kind) implements PgOutputMessage {
    }

    /**
     * A row image: per column its text value, null for SQL NULL, or {@link #UNCHANGED_TOAST} for a
     * TOASTed value the update did not change (the WAL does not carry it).
     */
    record Tuple(String[] values) {
        /** Marker of an unchanged TOASTed value. */
        static final String UNCHANGED_TOAST = new String("unchanged-toast");

        static boolean unchanged(String value) {
            return value == UNCHANGED_TOAST;
        }
    }

    /** Decodes the message in {@code buf} (from its position to its limit). */
    static PgOutputMessage decode(ByteBuffer buf) {
        char kind = (char) buf.get();
        return switch (kind) {
            case 'B' -> new Begin(buf.getLong(), buf.getLong(), Integer.toUnsignedLong(buf.getInt()));
            case 'C' -> {
                buf.get(); // flags, unused
                yield new Commit(buf.getLong(), buf.getLong(), buf.getLong());
            }
            case 'R' -> relation(buf);
            case 'I' -> {
                int rel = buf.getInt();
                expect(buf, 'N');
                yield new Insert(rel, tuple(buf));
            }
            case 'U' -> {
                int rel = buf.getInt();
                char next = (char) buf.get();
                Tuple before = null;
                if (next == 'K' || next == 'O') {
                    before = tuple(buf);
                    next = (char) buf.get();
                }
                if (next != 'N') {
                    throw new IllegalStateException("pgoutput update message: expected 'N', got '" + next + "'");
                }
                yield new Update(rel, before, tuple(buf));
            }
            case 'D' -> {
                int rel = buf.getInt();
                char next = (char) buf.get();
                if (next != 'K' && next != 'O') {
                    throw new IllegalStateException("pgoutput delete message: expected 'K' or 'O', got '" + next + "'");
                }
                yield new Delete(rel, tuple(buf));
            }
            case 'T' -> {
                int n = buf.getInt();
                buf.get(); // options: CASCADE, RESTART IDENTITY
                int[] rels = new int[n];
                for (int i = 0; i < n; i++) {
                    rels[i] = buf.getInt();
                }
                yield new Truncate(rels);
            }
            case 'M' -> {
                boolean transactional = (buf.get() & 1) != 0;
                long lsn = buf.getLong();
                String prefix = string(buf);
                byte[] content = new byte[buf.getInt()];
                buf.get(content);
                yield new Message(transactional, lsn, prefix, content);
            }
            case 'Y', 'O' -> new Skipped(kind);
            default -> throw new IllegalStateException("unknown pgoutput message '" + kind + "': this engine reads "
                    + "protocol version 1");
        };
    }

    private static Relation relation(ByteBuffer buf) {
        int oid = buf.getInt();
        String schema = string(buf);
        String table = string(buf);
        char identity = (char) buf.get();
        int n = Short.toUnsignedInt(buf.getShort());
        List<RelationColumn> columns = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean key = (buf.get() & 1) != 0;
            String name = string(buf);
            columns.add(new RelationColumn(name, buf.getInt(), buf.getInt(), key));
        }
        return new Relation(oid, schema, table, identity, List.copyOf(columns));
    }

    private static Tuple tuple(ByteBuffer buf) {
        int n = Short.toUnsignedInt(buf.getShort());
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
            char kind = (char) buf.get();
            switch (kind) {
                case 'n' -> values[i] = null;
                case 'u' -> values[i] = Tuple.UNCHANGED_TOAST;
                case 't' -> {
                    int len = buf.getInt();
                    values[i] = new String(buf.array(), buf.arrayOffset() + buf.position(), len, StandardCharsets.UTF_8);
                    buf.position(buf.position() + len);
                }
                default -> throw new IllegalStateException("pgoutput tuple: unexpected column kind '" + kind
                        + "' (binary values are not requested)");
            }
        }
        return new Tuple(values);
    }

    private static void expect(ByteBuffer buf, char c) {
        char got = (char) buf.get();
        if (got != c) {
            throw new IllegalStateException("pgoutput message: expected '" + c + "', got '" + got + "'");
        }
    }

    /** A NUL-terminated UTF-8 string. */
    private static String string(ByteBuffer buf) {
        int start = buf.position();
        int end = start;
        while (buf.get(end) != 0) {
            end++;
        }
        String s = new String(buf.array(), buf.arrayOffset() + start, end - start, StandardCharsets.UTF_8);
        buf.position(end + 1);
        return s;
    }
}
