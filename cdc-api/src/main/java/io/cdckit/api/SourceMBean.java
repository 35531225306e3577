package io.cdckit.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/** Registers a source as a {@link ChangeSourceMXBean} and answers its attributes from the source. */
final class SourceMBean implements ChangeSourceMXBean {

    private static final Logger LOG = LoggerFactory.getLogger(SourceMBean.class);

    private final ChangeSource source;
    private final ObjectName objectName;
    private boolean registered;

    SourceMBean(ChangeSource source) {
        this.source = source;
        try {
            this.objectName = objectName(source.config().name());
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The name a source's MBean is registered under. */
    static ObjectName objectName(String sourceName) throws JMException {
        return new ObjectName("io.cdckit:type=ChangeSource,name=" + ObjectName.quote(sourceName));
    }

    synchronized void register() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.registerMBean(this, objectName);
            registered = true;
        } catch (InstanceAlreadyExistsException e) {
            LOG.warn("Another source named '{}' is registered as {} in this JVM: this one is not visible over JMX; "
                    + "give each source its own cdc.name", source.config().name(), objectName);
        } catch (JMException e) {
            LOG.warn("Registering {} failed", objectName, e);
        }
    }

    synchronized void unregister() {
        if (!registered) {
            return;
        }
        registered = false;
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
        } catch (JMException e) {
            LOG.debug("Unregistering {} failed", objectName, e);
        }
    }

    private SourceMetrics m() {
        return source.metrics();
    }

    private long ops(Op op) {
        return m().eventsByTable().values().stream().mapToLong(ops -> ops.getOrDefault(op, 0L)).sum();
    }

    private static long orMinusOne(Long value) {
        return value == null ? -1 : value;
    }

    @Override
    public long getMilliSecondsBehindSource() {
        return m().lagMs();
    }

    @Override
    public long getTotalNumberOfEventsSeen() {
        return m().eventsDelivered();
    }

    @Override
    public long getTotalNumberOfCreateEventsSeen() {
        return ops(Op.CREATE);
    }

    @Override
    public long getTotalNumberOfUpdateEventsSeen() {
        return ops(Op.UPDATE);
    }

    @Override
    public long getTotalNumberOfDeleteEventsSeen() {
        return ops(Op.DELETE);
    }

    @Override
    public long getMilliSecondsSinceLastEvent() {
        return m().msSinceLastEvent();
    }

    @Override
    public boolean isConnected() {
        return m().connected();
    }

    @Override
    public long getRowsScanned() {
        return ops(Op.READ);
    }

    @Override
    public String getState() {
        return source.status().state().name();
    }

    @Override
    public String getHealth() {
        return source.health().status().name();
    }

    @Override
    public String getHealthReasons() {
        Object reasons = source.health().details().get("reasons");
        return reasons instanceof java.util.List<?> l ? String.join("\n", l.stream().map(String::valueOf).toList()) : "";
    }

    @Override
    public long getBatchesDelivered() {
        return m().batchesDelivered();
    }

    @Override
    public long getHandlerFailures() {
        return m().handlerFailures();
    }

    @Override
    public long getRetries() {
        return m().retries();
    }

    @Override
    public long getDeadLetteredEvents() {
        return m().deadLettered();
    }

    @Override
    public long getReconnects() {
        return m().reconnects();
    }

    @Override
    public long getWalRetainedBytes() {
        return orMinusOne(m().backlog().walRetainedBytes());
    }

    @Override
    public long getWalFlushLagBytes() {
        return orMinusOne(m().backlog().walFlushLagBytes());
    }

    @Override
    public long getPendingEntries() {
        return orMinusOne(m().backlog().pendingEntries());
    }

    @Override
    public long getWatermarkAgeMs() {
        return orMinusOne(m().backlog().watermarkAgeMs());
    }
}
