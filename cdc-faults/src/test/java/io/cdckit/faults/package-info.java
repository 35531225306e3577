/**
 * The fault suite: every strategy killed, restarted, disconnected and failed under a concurrent
 * workload and judged row by row; least privilege, bad input, secrets and connection handling.
 */
package io.cdckit.faults;
