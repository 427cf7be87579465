// The names of the function's CloudWatch metrics, shared by the code that emits
// them (functions/platform/metrics.ts) and the stack's alarms and dashboard
// (infra/stack.ts). Constants only: the CDK app imports this without Powertools.
import type { DomainErrorKind } from '../domain/errors.js';
import type { RetryCause } from '../store/events.js';

export const METRICS_NAMESPACE = 'AgentStatusReasons';
/** Powertools puts this in the `service` dimension of every metric (a stage's stack: `<SERVICE_NAME>-<stage>`). */
export const SERVICE_NAME = 'agent-status-reasons';

/** The `service` of a stage's functions and alarms, so that two stages in one account and region do not add up. */
export const serviceNameFor = (stage: string | undefined): string => (stage ? `${SERVICE_NAME}-${stage}` : SERVICE_NAME);

/** Refusals are counted per kind; an unknown outcome is not a refusal (it has its own metric); `history_gone` answers reads only. */
export type RefusalKind = Exclude<DomainErrorKind, 'outcome_unknown' | 'history_gone'>;

/** One metric per refusal kind (a Record, so that a new kind does not compile until it is named here). */
export const WRITES_REFUSED: Record<RefusalKind, string> = {
  invalid: 'WritesRefusedInvalid',
  duplicate: 'WritesRefusedDuplicate',
  limit: 'WritesRefusedLimit',
  not_found: 'WritesRefusedNotFound',
  revision_conflict: 'WritesRefusedRevisionConflict',
  idempotency_mismatch: 'WritesRefusedIdempotencyMismatch',
  in_progress: 'WritesRefusedInProgress',
  overloaded: 'WritesRefusedOverloaded',
  busy: 'WritesRefusedBusy',
};

/** One metric per cause of a repeated DynamoDB call. */
export const STORE_RETRIES: Record<RetryCause, string> = {
  throttled: 'StoreRetriesThrottled',
  unprocessed: 'StoreRetriesUnprocessed',
  'server-error': 'StoreRetriesServerError',
  'no-answer': 'StoreRetriesNoAnswer',
};

export const METRIC = {
  /** A write that changed the account (an idempotent replay is not one: see idempotentReplays). */
  writesApplied: 'WritesApplied',
  /** A write answered 500: it may or may not have been applied. Alarmed. */
  writesOutcomeUnknown: 'WritesOutcomeUnknown',
  /** How long a write waited for its account's lease (ms), whether it got it or gave up. */
  leaseWaitMs: 'LeaseWaitMs',
  /** A write that gave up waiting for its account's lease (answered busy). */
  leaseWaitGaveUp: 'LeaseWaitGaveUp',
  /** A write took over a lease its holder had let expire (a writer died or overran). Alarmed. */
  leaseTakeovers: 'LeaseTakeovers',
  /** A write refused at once because too many writers already waited for the account. */
  leaseQueueFull: 'LeaseQueueFull',
  /** A call whose answer was lost had been applied, and the store found out. */
  lostAnswersRecovered: 'LostAnswersRecovered',
  /** A repeated idempotency key answered with the first answer, writing nothing. */
  idempotentReplays: 'IdempotentReplays',
  /** Waiting creates a commit carried besides its own write (group commit): how many, per commit. */
  groupedWrites: 'GroupedWrites',
} as const;
