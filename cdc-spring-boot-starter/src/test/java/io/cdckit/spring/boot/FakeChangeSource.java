package io.cdckit.spring.boot;

import io.cdckit.api.CdcConfig;
import io.cdckit.api.ChangeHandler;
import io.cdckit.api.ChangeSource;
import io.cdckit.api.SourceHealth;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An application's own source that only records what is done to it, with a health the test sets:
 * {@code start}, {@code health}, {@code config} and {@code close} work, anything else throws.
 */
final class FakeChangeSource implements InvocationHandler {

    final CdcConfig config = CdcConfig.builder().mode("trigger").name("fake").tables("public.orders").build();
    final ChangeSource source = (ChangeSource) Proxy.newProxyInstance(ChangeSource.class.getClassLoader(),
            new Class<?>[] {ChangeSource.class}, this);
    volatile ChangeHandler handler;
    final AtomicInteger closes = new AtomicInteger();
    volatile SourceHealth health = new SourceHealth(SourceHealth.Status.UP, Map.of("state", "RUNNING"));

    /** A new fake source. */
    static ChangeSource create() {
        return new FakeChangeSource().source;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) {
        switch (method.getName()) {
            case "start" -> {
                if (handler != null) {
                    throw new IllegalStateException("started twice");
                }
                handler = (ChangeHandler) args[0];
                return null;
            }
            case "close" -> {
                closes.incrementAndGet();
                return null;
            }
            case "health" -> {
                return health;
            }
            case "config" -> {
                return config;
            }
            case "toString" -> {
                return "FakeChangeSource";
            }
            case "hashCode" -> {
                return System.identityHashCode(proxy);
            }
            case "equals" -> {
                return proxy == args[0];
            }
            default -> throw new UnsupportedOperationException(method.getName());
        }
    }
}
