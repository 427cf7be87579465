// What the function tells operators: CloudWatch metrics in the embedded metric
// format (Powertools Metrics), recorded while an invocation runs and written as
// one EMF line when it ends (`flushMetrics`, in every adapter's pipeline).
//
// Two sources: every write's outcome (`measureWrites` wraps the store the
// adapters get: applied, refused by kind, unknown), and what the store reports
// as it works (`recordStoreEvent`, the store's `onEvent`).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { isDomainError } from '../domain/errors.js';
import type { StatusReasonStore, StoreFactory } from '../domain/store.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, STORE_RETRIES, WRITES_REFUSED } from './metric-names.js';
import type { StoreEvent } from '../store/events.js';

/**
 * One buffer per container: Lambda runs one invocation at a time in it, so what
 * is recorded between two flushes belongs to one invocation. Set
 * POWERTOOLS_METRICS_DISABLED=true to record nothing (`npm start`, the tests).
 */
// The stack sets POWERTOOLS_SERVICE_NAME per stage (`agent-status-reasons-<stage>`), so two stages in one
// account and region keep their metrics (and the alarms on them) apart.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME });

const count = (name: string): void => {
  metrics.addMetric(name, MetricUnit.Count, 1);
};

/** Records the outcome of a write that failed: refused (nothing written, by kind) or unknown. */
function recordFailedWrite(error: unknown): void {
  // Anything but a refusal the domain names is answered 500: the caller cannot know what happened.
  if (!isDomainError(error) || error.kind === 'outcome_unknown' || error.kind === 'history_gone') count(METRIC.writesOutcomeUnknown);
  else count(WRITES_REFUSED[error.kind]);
}

/** The store factory, with every write's outcome counted. */
export function measureWrites(store: StoreFactory): StoreFactory {
  return (scope) => {
    const inner = store(scope);
    const measured: StatusReasonStore = {
      revision: (accountId) => inner.revision(accountId),
      read: (accountId, options) => inner.read(accountId, options),
      get: (accountId, id) => inner.get(accountId, id),
      changes: (accountId, since, limit) => inner.changes(accountId, since, limit),
      write: async (accountId, request, decide) => {
        try {
          const outcome = await inner.write(accountId, request, decide);
          // A replay wrote nothing now; the store reports it (idempotent-replay).
          if (!outcome.replayed) count(METRIC.writesApplied);
          return outcome;
        } catch (error) {
          recordFailedWrite(error);
          throw error;
        }
      },
    };
    return measured;
  };
}

/** What the store reports, as metrics (the store's `onEvent`). */
export function recordStoreEvent(event: StoreEvent): void {
  switch (event.type) {
    case 'lease-wait':
      metrics.addMetric(METRIC.leaseWaitMs, MetricUnit.Milliseconds, event.waitedMs);
      if (!event.taken) count(METRIC.leaseWaitGaveUp);
      return;
    case 'lease-taken-over':
      return count(METRIC.leaseTakeovers);
    case 'lease-queue-full':
      return count(METRIC.leaseQueueFull);
    case 'retry':
      return count(STORE_RETRIES[event.cause]);
    case 'lost-answer-recovered':
      return count(METRIC.lostAnswersRecovered);
    case 'idempotent-replay':
      return count(METRIC.idempotentReplays);
    case 'write-grouped':
      metrics.addMetric(METRIC.groupedWrites, MetricUnit.Count, event.members);
      return;
    case 'outcome-unknown':
      // Counted where the write's answer is decided (measureWrites), once per write.
      return;
  }
}

/**
 * Writes what the invocation recorded as one EMF line, when it recorded
 * anything. (Powertools' own logMetrics middleware would also log a warning on
 * every invocation that recorded nothing, i.e. on every read.)
 */
export const flushMetrics = <TEvent, TResult>(): MiddlewareObj<TEvent, TResult> => {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
};
