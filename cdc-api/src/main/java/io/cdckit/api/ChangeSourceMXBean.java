package io.cdckit.api;

/**
 * A source's JMX view, registered as {@code io.cdckit:type=ChangeSource,name=<cdc.name>} while it
 * runs ({@code cdc.jmx.enabled}). Attributes that mean what Debezium's streaming metrics mean
 * carry Debezium's names, so dashboards and alerts written for Debezium read them unchanged.
 */
public interface ChangeSourceMXBean {

    /** Debezium's name: commit-to-handler lag of the last event in ms, or -1 where unknown. */
    long getMilliSecondsBehindSource();

    /** Debezium's name: events delivered to the handler. */
    long getTotalNumberOfEventsSeen();

    /** Debezium's name: inserts delivered. */
    long getTotalNumberOfCreateEventsSeen();

    /** Debezium's name: updates delivered. */
    long getTotalNumberOfUpdateEventsSeen();

    /** Debezium's name: deletes delivered. */
    long getTotalNumberOfDeleteEventsSeen();

    /** Debezium's name: ms since the last event was delivered, or -1 if none yet. */
    long getMilliSecondsSinceLastEvent();

    /** Debezium's name: whether the source is connected and reading. */
    boolean isConnected();

    /** Debezium's name (snapshot metrics): rows delivered by snapshots ({@code op r}). */
    long getRowsScanned();

    /** The source's state: CREATED, STARTING, RUNNING, RETRYING, RECONNECTING, STOPPED or FAILED. */
    String getState();

    /** UP, DEGRADED or DOWN. */
    String getHealth();

    /** Why the health is not UP, one reason a line; empty when UP. */
    String getHealthReasons();

    /** Batches the handler processed. */
    long getBatchesDelivered();

    /** Times the handler threw. */
    long getHandlerFailures();

    /** Retries of failed batches. */
    long getRetries();

    /** Events handed to the dead-letter handler. */
    long getDeadLetteredEvents();

    /** Reconnects after a lost connection. */
    long getReconnects();

    /** Log: WAL retained by the slot in bytes, or -1. */
    long getWalRetainedBytes();

    /** Log: WAL not yet confirmed by the slot in bytes, or -1. */
    long getWalFlushLagBytes();

    /** Trigger: change-log entries not yet read, or -1. */
    long getPendingEntries();

    /** Timestamp: age of the read watermark in ms, or -1. */
    long getWatermarkAgeMs();
}
