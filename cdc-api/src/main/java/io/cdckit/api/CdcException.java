package io.cdckit.api;

/**
 * A problem cdckit cannot get past by itself: bad configuration, a missing table, privilege or
 * server setting, or a failure that stopped a source. The message says what went wrong and how
 * to fix it.
 */
public class CdcException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** An error with a message that names the problem and the fix. */
    public CdcException(String message) {
        super(message);
    }

    /** An error with a message that names the problem and the fix, and its cause. */
    public CdcException(String message, Throwable cause) {
        super(message, cause);
    }
}
