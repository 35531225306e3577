package io.cdckit.api.jdbc;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way cdckit keeps secrets out of messages, logs and {@code toString()}: passwords in
 * JDBC URLs ({@code password=}, {@code sslpassword=}, {@code //user:secret@}) are masked by
 * {@link #maskUrl}, and an instance also masks the literal passwords it was told about (the
 * configured one, and each one a credentials provider handed out), wherever they appear in a
 * text or in an exception chain.
 */
public final class Masking {

    /** What a masked secret is shown as. */
    public static final String MASK = "******";

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)((?:ssl)?password=)([^&;\\s]*)");
    private static final Pattern URL_USER_INFO = Pattern.compile("(//[^/?#@:\\s]*:)([^/?#@\\s]*)@");
    /** Literal occurrences of shorter passwords are not masked: that would garble every message. */
    private static final int MIN_MASKED_LENGTH = 4;
    /** How many passwords an instance remembers: rotated ones stay masked for a while. */
    private static final int REMEMBERED = 16;

    private final Deque<String> secrets = new ArrayDeque<>();

    /** A masking that knows no literal secret yet; URL secrets are always masked. */
    public Masking() {
    }

    /** {@code text} with every password a JDBC URL can carry masked; null stays null. */
    public static String maskUrl(String text) {
        if (text == null) {
            return null;
        }
        String s = URL_PASSWORD.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(MASK));
        return URL_USER_INFO.matcher(s).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
    }

    /** Remembers {@code secret} (and the passwords in it, if it is a URL) so that it is masked from now on. */
    public synchronized Masking add(String secret) {
        if (secret == null) {
            return this;
        }
        for (Pattern p : List.of(URL_PASSWORD, URL_USER_INFO)) {
            Matcher m = p.matcher(secret);
            while (m.find()) {
                remember(m.group(2));
            }
        }
        remember(secret);
        return this;
    }

    private void remember(String secret) {
        if (secret.length() < MIN_MASKED_LENGTH || secrets.contains(secret)) {
            return;
        }
        secrets.addFirst(secret);
        while (secrets.size() > REMEMBERED) {
            secrets.removeLast();
        }
    }

    /** {@code text} with the remembered secrets and URL passwords masked. */
    public synchronized String scrub(String text) {
        if (text == null) {
            return null;
        }
        String s = text;
        for (String secret : secrets) {
            s = s.replace(secret, MASK);
        }
        return maskUrl(s);
    }

    /**
     * {@code t} itself when no message in its chain holds a secret, else a copy of the chain with
     * the same exception types named, SQLStates and stack traces, and the messages masked.
     */
    public Throwable scrubbed(Throwable t) {
        return leaks(t, 0) ? copy(t, 0) : t;
    }

    private boolean leaks(Throwable t, int depth) {
        if (t == null || depth > 20) {
            return false;
        }
        String m = t.getMessage();
        if (m != null && !m.equals(scrub(m))) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (leaks(s, depth + 1)) {
                return true;
            }
        }
        if (t instanceof SQLException sql && leaks(sql.getNextException(), depth + 1)) {
            return true;
        }
        return t.getCause() != t && leaks(t.getCause(), depth + 1);
    }

    private Throwable copy(Throwable t, int depth) {
        if (t == null || depth > 20) {
            return null;
        }
        Throwable c;
        if (t instanceof SQLException sql) {
            SQLException s = new SQLException(t.getClass().getName() + ": " + scrub(t.getMessage()),
                    sql.getSQLState(), sql.getErrorCode());
            SQLException next = sql.getNextException();
            if (next != null && next != sql) {
                s.setNextException((SQLException) copy(next, depth + 1));
            }
            c = s;
        } else {
            c = new Exception(t.getClass().getName() + ": " + scrub(t.getMessage()));
        }
        c.setStackTrace(t.getStackTrace());
        Throwable cause = t.getCause();
        if (cause != null && cause != t) {
            c.initCause(copy(cause, depth + 1));
        }
        for (Throwable s : t.getSuppressed()) {
            Throwable sc = copy(s, depth + 1);
            if (sc != null) {
                c.addSuppressed(sc);
            }
        }
        return c;
    }

    @Override
    public String toString() {
        return "Masking{" + secrets.size() + " secrets}";
    }
}
