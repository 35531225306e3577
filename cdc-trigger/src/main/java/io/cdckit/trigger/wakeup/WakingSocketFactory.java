package io.cdckit.trigger.wakeup;

import javax.net.SocketFactory;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Not API: the socket factory the trigger strategy's listening connection is opened with (through
 * pgjdbc's {@code socketFactory} and {@code socketFactoryArg} connection properties). Its sockets
 * call a wake-up whenever bytes arrive from the server.
 *
 * <p>Why: pgjdbc's {@code getNotifications(timeout)} returns only once no further message arrives
 * within a millisecond, so while writers commit more than about a thousand notifying transactions
 * a second the call does not return at all, and a reader waiting in it sees nothing. On a
 * connection that only listens, any bytes from the server mean a notification (or a notice or
 * error the listener will see), so waking on bytes is both prompt and safe.
 */
public final class WakingSocketFactory extends SocketFactory {

    private static final Map<String, Runnable> WAKEUPS = new ConcurrentHashMap<>();

    private final Runnable wakeup;

    /**
     * Called by pgjdbc with the {@code socketFactoryArg} of the connection.
     *
     * @param key the key {@link #register} returned
     * @throws IllegalStateException when no wake-up is registered under {@code key}
     */
    public WakingSocketFactory(String key) {
        Runnable r = key == null ? null : WAKEUPS.get(key);
        if (r == null) {
            throw new IllegalStateException("No wake-up registered under '" + key + "': this socket factory is "
                    + "internal to cdckit's trigger strategy and not meant to be configured by hand.");
        }
        this.wakeup = r;
    }

    /**
     * Registers a wake-up for the connections opened with the returned key.
     *
     * @param wakeup called, on the reading thread, whenever bytes arrive; must be quick
     * @return the value for the connection's {@code socketFactoryArg}
     */
    public static String register(Runnable wakeup) {
        String key = UUID.randomUUID().toString();
        WAKEUPS.put(key, Objects.requireNonNull(wakeup));
        return key;
    }

    /**
     * Removes a wake-up; sockets already made keep calling it until they close.
     *
     * @param key the key {@link #register} returned
     */
    public static void unregister(String key) {
        WAKEUPS.remove(key);
    }

    @Override
    public Socket createSocket() {
        return new WakingSocket(wakeup);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        Socket s = new WakingSocket(wakeup);
        s.bind(new InetSocketAddress(localHost, localPort));
        s.connect(new InetSocketAddress(host, port));
        return s;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        Socket s = new WakingSocket(wakeup);
        s.bind(new InetSocketAddress(localAddress, localPort));
        s.connect(new InetSocketAddress(address, port));
        return s;
    }

    private Socket connected(InetSocketAddress to) throws IOException {
        Socket s = new WakingSocket(wakeup);
        s.connect(to);
        return s;
    }

    /** A plain socket whose input stream calls the wake-up after every read that returned bytes. */
    private static final class WakingSocket extends Socket {
        private final Runnable wakeup;

        WakingSocket(Runnable wakeup) {
            this.wakeup = wakeup;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return new FilterInputStream(super.getInputStream()) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        wakeup.run();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) {
                        wakeup.run();
                    }
                    return n;
                }
            };
        }
    }
}
