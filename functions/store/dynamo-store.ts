// Room: functions/store/. The only code that speaks DynamoDB for the accounts'
// data. `DynamoStatusReasonStore` is a thin facade: it builds what the modules
// of this folder share (the document client, `Calls`, the lease, the settings)
// and hands each call to them: the read path (read-path.ts, changes-read.ts),
// the write path (write-path.ts, with lease.ts, plan.ts, purge.ts, batch.ts,
// commit.ts, records.ts), over the layout (layout.ts, history.ts) and one place
// for every call's deadline and retries (retry.ts, errors.ts). It reports what
// happens (retries, waits, takeovers) through the `onEvent` listener its owner
// passes in (functions/entry/store-from-env.ts wires it to logs and metrics).
// May import: domain, aws. Inside the room no module imports this facade.
//
// A write:
//  1. takes the account's lease (lease.ts), which allocates its ids; in parallel,
//     reads what it needs besides `#META` (the reason it changes, the buckets of
//     the texts it may set, its idempotency record) in one TransactGetItems, used
//     when no write committed in between;
//  2. lets the domain decide on the account's state; a refusal writes nothing and
//     hands the ids back;
//  3. commits with one TransactWriteItems: `#META` (the new revision and counts,
//     the lease freed, on condition that it is still ours), the text buckets it
//     changes, the reasons (for a large create, written before by BatchWriteItem
//     and invisible until `committedHigh` passes their ids), and the idempotency
//     record (on condition that the key is unused).
//
// Every call has a deadline inside the request's, itself inside the lease, and
// is retried (retry.ts) on throttling, 5xx and lost answers. Nothing of a request
// is still in flight when it answers. A lost commit answer is harmless: the
// commit carries a ClientRequestToken, so DynamoDB answers its retry as it did
// the first attempt; past the deadline, the lease is fenced (freed on condition
// that it is still ours) to settle whether it was applied before any "nothing
// was changed" is said.
import { DocumentClient, type DynamoClient } from '../aws/dynamodb.js';
import { LIMITS, type StoredReason } from '../domain/status-reason.js';
import type { AccountState, ChangesPage, RequestScope, StatusReasonStore, WriteDecision, WriteOutcome, WriteRequest } from '../domain/store.js';
import { batchWrite, type WriteRequestItem } from './batch.js';
import { readChanges } from './changes-read.js';
import type { StoreContext, WriteSettings } from './context.js';
import type { StoreEventListener } from './events.js';
import { keepLimitsFromEnv, type KeepLimits } from './history.js';
import type { Meta } from './layout.js';
import { AccountLeases } from './lease.js';
import { COMMIT_ROOM } from './plan.js';
import { queryAll, readMeta, type KeyRange } from './queries.js';
import { readList, readReason, readRevision } from './read-path.js';
import { Calls, type BackoffOptions } from './retry.js';
import { WritePath } from './write-path.js';

export type { StoreEvent } from './events.js';
export { readAtRevision } from './read-path.js';

export interface DynamoStoreOptions {
  client: DynamoClient | DocumentClient;
  tableName: string;
  /** How long a write lease lasts; must exceed the longest request (the Lambda timeout). */
  leaseMs?: number;
  /** How long a writer waits for another writer's lease before answering busy. */
  leaseWaitMs?: number;
  /** How many writers may wait for one account at once; beyond it a write is refused at once (429). */
  leaseQueueMax?: number;
  /** The shortest and longest pause between a waiting writer's reads of `#META` (it sleeps until its turn should have come; once due, it reads at least every 25 ms). */
  leasePoll?: { minMs: number; maxMs: number };
  /** The longest a request may take when the caller gives no deadline (tests, the benchmark). */
  requestMs?: number;
  /** The longest one DynamoDB call may take before it is given up and sent again. */
  attemptMs?: number;
  /** Backoff between attempts of a call after a 5xx or a lost answer. */
  callBackoff?: BackoffOptions;
  /** Backoff between attempts of a throttled call. */
  throttleBackoff?: BackoffOptions;
  /** Creates whose commit fits in this many transaction actions write their reasons inside the commit. */
  transactionItems?: number;
  /** Reorders that move at most this many reasons change them in the commit itself; larger ones use pending values (layout.ts). */
  reorderInlineMax?: number;
  /** How many BatchWriteItem calls one write runs at once. */
  batchConcurrency?: number;
  /** How long after a failed write its ids are cleaned up (no call of it can still land by then). */
  dirtyGraceMs?: number;
  /** The most leftover or dropped items one write removes. */
  cleanupMax?: number;
  /** The deleted reasons' budget (wire bytes) beyond which the longest-deleted ones are dropped. */
  historyBytesMax?: number;
  /** How long and how much change history an account keeps (history.ts); HISTORY_MAX_AGE_DAYS / HISTORY_MAX_BYTES by default. */
  keepLimits?: KeepLimits;
  onEvent?: StoreEventListener;
  now?: () => number;
  /** The region stamped on every reason written (Connect's LastModifiedRegion); `AWS_REGION` by default. */
  region?: string;
}

export class DynamoStatusReasonStore implements StatusReasonStore {
  readonly doc: DocumentClient;
  readonly table: string;
  /** Every DynamoDB call goes through it. */
  readonly calls: Calls;
  private readonly ctx: StoreContext;
  private readonly writes: WritePath;
  private readonly requestMs: number;

  constructor(options: DynamoStoreOptions) {
    this.doc = options.client instanceof DocumentClient ? options.client : new DocumentClient(options.client);
    this.table = options.tableName;
    this.requestMs = options.requestMs ?? 9_000;
    const onEvent = options.onEvent ?? (() => {});
    const now = options.now ?? Date.now;
    this.calls = new Calls(this.doc, {
      attemptMs: options.attemptMs ?? 2_000,
      backoff: options.callBackoff ?? { baseMs: 10, maxMs: 200 },
      throttleBackoff: options.throttleBackoff ?? { baseMs: 25, maxMs: 1_000 },
      onEvent,
      now,
    });
    this.ctx = { table: this.table, calls: this.calls, now, onEvent, batchConcurrency: options.batchConcurrency ?? 8 };
    const settings: WriteSettings = {
      leaseMs: options.leaseMs ?? 20_000,
      transactionItems: options.transactionItems ?? 4,
      // The commit also holds #META, the history entry's head, its purge, and maybe an idempotency record.
      reorderInlineMax: Math.min(options.reorderInlineMax ?? COMMIT_ROOM, COMMIT_ROOM),
      dirtyGraceMs: options.dirtyGraceMs ?? 60_000,
      cleanupMax: options.cleanupMax ?? 100,
      historyBytesMax: options.historyBytesMax ?? LIMITS.historyBytesMax,
      keepLimits: options.keepLimits ?? keepLimitsFromEnv(process.env),
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    };
    const leases = new AccountLeases(
      this.calls,
      this.table,
      {
        leaseMs: settings.leaseMs,
        waitMs: options.leaseWaitMs ?? 8_000,
        queueMax: options.leaseQueueMax ?? 16,
        pollMinMs: options.leasePoll?.minMs ?? 2,
        pollMaxMs: options.leasePoll?.maxMs ?? 2_000,
        pollNextMaxMs: Math.min(options.leasePoll?.maxMs ?? 25, 25),
      },
      onEvent,
      now,
    );
    this.writes = new WritePath(this.ctx, leases, settings);
  }

  /** This store for one request: every call ends by the request's deadline. */
  scoped(scope: RequestScope | undefined): StatusReasonStore {
    if (!scope) return this;
    const deadline = () => scope.deadline;
    return {
      revision: (accountId) => readRevision(this.ctx, accountId, deadline()),
      read: (accountId, options) => readList(this.ctx, accountId, options ?? {}, deadline()),
      get: (accountId, id) => readReason(this.ctx, accountId, id, deadline()),
      write: (accountId, request, decide) => this.writes.write(accountId, request, decide, deadline()),
      changes: (accountId, since, limit) => readChanges(this.ctx, accountId, since, limit, deadline()),
    };
  }

  private defaultDeadline = () => this.ctx.now() + this.requestMs;

  revision(accountId: string): Promise<number> {
    return readRevision(this.ctx, accountId, this.defaultDeadline());
  }

  read(accountId: string, options: { includeDeleted?: boolean } = {}): Promise<{ revision: number; reasons: StoredReason[] }> {
    return readList(this.ctx, accountId, options, this.defaultDeadline());
  }

  get(accountId: string, id: number): Promise<{ revision: number; reason: StoredReason | undefined }> {
    return readReason(this.ctx, accountId, id, this.defaultDeadline());
  }

  write(accountId: string, request: WriteRequest, decide: (state: AccountState, ids: number[]) => WriteDecision): Promise<WriteOutcome> {
    return this.writes.write(accountId, request, decide, this.defaultDeadline());
  }

  changes(accountId: string, since: number, limit: number): Promise<ChangesPage> {
    return readChanges(this.ctx, accountId, since, limit, this.defaultDeadline());
  }

  /** `#META` of a partition, read consistently (for tests and tools that look at the table as the store does). */
  readMeta(pk: string, deadline: number): Promise<Meta> {
    return readMeta(this.ctx, pk, deadline);
  }

  /** Every item of a key range (all pages), read consistently. */
  queryAll(pk: string, range: KeyRange, deadline: number): Promise<Record<string, unknown>[]> {
    return queryAll(this.ctx, pk, range, deadline);
  }

  /** Writes items (idempotent puts and deletes) in batches, all settled before it returns; any failure fails it. */
  batchWrite(requests: WriteRequestItem[], deadline: number): Promise<void> {
    return batchWrite(this.ctx, requests, deadline);
  }
}
