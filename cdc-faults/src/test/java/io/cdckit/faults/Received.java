package io.cdckit.faults;

import io.cdckit.api.ChangeEvent;

/**
 * An event as the handler received it: in which epoch (a run of the capturing JVM, or the
 * stretch between two reconnects) and in which batch of that epoch.
 */
record Received(int epoch, long batch, ChangeEvent event) {
}
