/**
 * The socket factory that wakes the trigger reader as soon as bytes arrive on its listening
 * connection. Public only because the PostgreSQL driver instantiates socket factories by class
 * name; not API.
 */
package io.cdckit.trigger.wakeup;
