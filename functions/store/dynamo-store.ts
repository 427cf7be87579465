// The only module that speaks DynamoDB (with its helpers in this folder): the
// layout is in layout.ts, the write lease in lease.ts.
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
import { DynamoDBDocumentClient, BatchWriteCommand, GetCommand, QueryCommand, TransactGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BatchWriteCommandInput, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ChangeEntry } from '../domain/changes.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import { IDEMPOTENCY_TTL_MS } from '../domain/idempotency.js';
import { LIMITS, textKey, wireSize, type StatusReason, type StoredReason } from '../domain/status-reason.js';
import type {
  AccountState,
  ChangesPage,
  IdempotencyKey,
  OrderChange,
  RequestScope,
  StatusReasonStore,
  WriteDecision,
  WriteOutcome,
  WriteRequest,
} from '../domain/store.js';
import { cancellationCodes, DeadlineExceeded, isConditionFailure, nothingChanged, refusedItem } from './errors.js';
import type { StoreEvent, StoreEventListener } from './events.js';
import { AccountLeases, endLease, plain, type Lease } from './lease.js';
import {
  deletedKey,
  metaAssignments,
  isCommitted,
  committedPending,
  LIVE_END,
  liveKey,
  liveReason,
  liveSize,
  LIVE_PREFIX,
  logItem,
  logKey,
  META_SK,
  partitionKey,
  reasonItem,
  recordKey,
  textDigest,
  bucketHolders,
  bucketKey,
  bucketOf,
  toMeta,
  toReason,
  DELETED_PREFIX,
  LOG_PREFIX,
  type DirtyRange,
  type Meta,
  type PendingOrder,
  type RecordItem,
} from './layout.js';
import {
  CHANGES_PAGE_BYTES,
  decodeEntry,
  encodeEntry,
  entryKeys,
  HEAD_PREFIX,
  headKey,
  keepLimitsFromEnv,
  mustPurge,
  PART_PREFIX,
  partKey,
  planPurge,
  PURGE_ACTIONS_MAX,
  PURGE_READ,
  toHead,
  type EncodedEntry,
  type Head,
  type KeepLimits,
} from './history.js';
import { backoffDelay, Calls, sleep, type BackoffOptions } from './retry.js';

export type { StoreEvent } from './events.js';

const BATCH_SIZE = 25;
/** What a write that sent history parts keeps, after its last commit attempt and fence, to remove them. */
const PARTS_CLEANUP_MS = 400;
/** TransactWriteItems takes at most 100 actions. */
const TRANSACTION_MAX = 100;
/** What a commit has left for reasons: besides them it holds #META, the history head and purge, and maybe an idempotency record. */
const COMMIT_ROOM = TRANSACTION_MAX - 3 - PURGE_ACTIONS_MAX;

export interface DynamoStoreOptions {
  client: DynamoDBClient | DynamoDBDocumentClient;
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

/** Where the reason a write changes lives now. */
interface Target {
  reason: StoredReason;
  where: 'live' | 'deleted';
  seq: number | undefined;
  size: number;
}

/** What one TransactGetItems at a write's start read. */
interface StartRead {
  revision: number;
  target: Target | undefined;
  record: RecordItem | undefined;
  /** The text buckets read, by number: digest → the id that holds it. */
  buckets: Map<number, Record<string, number>>;
}

/** What a write asks to read besides #META. */
interface StartKeys {
  target?: number | undefined;
  key?: string | undefined;
  /** The text keys whose holders the decision may ask for. */
  textKeys?: readonly string[] | undefined;
}

const bucketsOf = (wanted: StartKeys): number[] => [...new Set((wanted.textKeys ?? []).map((k) => bucketOf(textDigest(k))))];

/** The sort keys a write reads besides #META: the reason's live and deleted items, the text buckets, the idempotency record. */
function startKeys(wanted: StartKeys): string[] {
  const keys: string[] = [];
  if (wanted.target !== undefined) keys.push(liveKey(wanted.target), deletedKey(wanted.target));
  keys.push(...bucketsOf(wanted).map(bucketKey));
  if (wanted.key !== undefined) keys.push(recordKey(wanted.key));
  return keys;
}

type WriteRequestItem = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const busy = (message: string) => new DomainError('busy', message);

export class DynamoStatusReasonStore implements StatusReasonStore {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  /** Every DynamoDB call goes through it. */
  readonly calls: Calls;
  private readonly leases: AccountLeases;
  private readonly requestMs: number;
  private readonly leaseMs: number;
  /** Accounts whose last write here had to wait for the lease, and when: a read beside the lease would be stale by its turn. */
  private readonly contended = new Map<string, number>();
  private readonly transactionItems: number;
  private readonly reorderInlineMax: number;
  private readonly batchConcurrency: number;
  private readonly dirtyGraceMs: number;
  private readonly cleanupMax: number;
  private readonly historyBytesMax: number;
  private readonly keepLimits: KeepLimits;
  private readonly onEvent: StoreEventListener;
  private readonly now: () => number;
  private readonly region: string;

  constructor(options: DynamoStoreOptions) {
    this.doc =
      options.client instanceof DynamoDBDocumentClient
        ? options.client
        : DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = options.tableName;
    this.requestMs = options.requestMs ?? 9_000;
    this.leaseMs = options.leaseMs ?? 20_000;
    this.transactionItems = options.transactionItems ?? 4;
    // The commit also holds #META, the history entry's head, its purge, and maybe an idempotency record.
    this.reorderInlineMax = Math.min(options.reorderInlineMax ?? COMMIT_ROOM, COMMIT_ROOM);
    this.batchConcurrency = options.batchConcurrency ?? 8;
    this.dirtyGraceMs = options.dirtyGraceMs ?? 60_000;
    this.cleanupMax = options.cleanupMax ?? 100;
    this.historyBytesMax = options.historyBytesMax ?? LIMITS.historyBytesMax;
    this.keepLimits = options.keepLimits ?? keepLimitsFromEnv(process.env);
    this.onEvent = options.onEvent ?? (() => {});
    this.now = options.now ?? Date.now;
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.calls = new Calls(this.doc, {
      attemptMs: options.attemptMs ?? 2_000,
      backoff: options.callBackoff ?? { baseMs: 10, maxMs: 200 },
      throttleBackoff: options.throttleBackoff ?? { baseMs: 25, maxMs: 1_000 },
      onEvent: this.onEvent,
      now: this.now,
    });
    this.leases = new AccountLeases(
      this.calls,
      this.table,
      {
        leaseMs: this.leaseMs,
        waitMs: options.leaseWaitMs ?? 8_000,
        queueMax: options.leaseQueueMax ?? 16,
        pollMinMs: options.leasePoll?.minMs ?? 2,
        pollMaxMs: options.leasePoll?.maxMs ?? 2_000,
        pollNextMaxMs: Math.min(options.leasePoll?.maxMs ?? 25, 25),
      },
      this.onEvent,
      this.now,
    );
  }

  /** This store for one request: every call ends by the request's deadline. */
  scoped(scope: RequestScope | undefined): StatusReasonStore {
    if (!scope) return this;
    const deadline = () => scope.deadline;
    return {
      read: (accountId, options) => this.readAt(accountId, options ?? {}, deadline()),
      get: (accountId, id) => this.getAt(accountId, id, deadline()),
      write: (accountId, request, decide) => this.writeAt(accountId, request, decide, deadline()),
      changes: (accountId, since, limit) => this.changesAt(accountId, since, limit, deadline()),
    };
  }

  private defaultDeadline = () => this.now() + this.requestMs;

  read(accountId: string, options: { includeDeleted?: boolean } = {}) {
    return this.readAt(accountId, options, this.defaultDeadline());
  }

  get(accountId: string, id: number) {
    return this.getAt(accountId, id, this.defaultDeadline());
  }

  write(accountId: string, request: WriteRequest, decide: (state: AccountState, ids: number[]) => WriteDecision) {
    return this.writeAt(accountId, request, decide, this.defaultDeadline());
  }

  changes(accountId: string, since: number, limit: number) {
    return this.changesAt(accountId, since, limit, this.defaultDeadline());
  }

  // ------------------------------------------------------------------ reads

  /**
   * The reasons at one revision. A Query is not a snapshot (a transaction that
   * commits while it runs may show in part), so `#META` is read again after it:
   * the same revision means no write committed in between. Otherwise, again.
   */
  private async readAt(accountId: string, options: { includeDeleted?: boolean }, deadline: number): Promise<{ revision: number; reasons: StoredReason[] }> {
    return this.readFailure(this.readConsistent(accountId, options, deadline));
  }

  /** A read that runs out of time changed nothing: it is answered busy, to be sent again. */
  private async readFailure<T>(read: Promise<T>): Promise<T> {
    try {
      return await read;
    } catch (error) {
      throw error instanceof DeadlineExceeded ? busy(nothingChanged(error)) : error;
    }
  }

  private async readConsistent(accountId: string, options: { includeDeleted?: boolean }, deadline: number): Promise<{ revision: number; reasons: StoredReason[] }> {
    const pk = partitionKey(accountId);
    for (let attempt = 0; ; attempt++) {
      const head = await this.queryAll(pk, { between: [META_SK, LIVE_END] }, deadline);
      const meta = toMeta(head[0]?.sk === META_SK ? head[0] : undefined);
      const live = head.filter((item) => item.sk !== META_SK && isCommitted(meta, item.id as number));
      const deleted = options.includeDeleted ? await this.readHistory(pk, meta, deadline) : undefined;
      if (readAtRevision(meta, live, deleted)) {
        const again = await this.readMeta(pk, deadline);
        if (again.revision === meta.revision) {
          return { revision: meta.revision, reasons: [...live.map((item) => liveReason(meta, item)), ...(deleted ?? []).map(toReason)] };
        }
      }
      const wait = backoffDelay(Math.min(attempt, 6), { baseMs: 10, maxMs: 250 });
      if (this.now() + wait >= deadline) throw busy('Writes to this account kept changing it while it was read; try again shortly.');
      await sleep(wait);
    }
  }

  /** The deleted reasons still kept (their items). */
  private async readHistory(pk: string, meta: Meta, deadline: number): Promise<Record<string, unknown>[]> {
    const deleted = await this.queryAll(pk, { prefix: DELETED_PREFIX }, deadline);
    return deleted.filter((item) => isCommitted(meta, item.id as number) && (item.seq as number) >= meta.historyFloor);
  }

  /**
   * The change history after `since`. `#META` first (one small GetItem): at the
   * current revision that is the whole answer. Otherwise the heads from
   * `since + 1` up to the revision read (every revision in between has one: its
   * commit wrote it), and the parts of the large ones. The entries are consecutive
   * from `since + 1`; a gap at the start means a write dropped them meanwhile.
   */
  private async changesAt(accountId: string, since: number, limit: number, deadline: number): Promise<ChangesPage> {
    return this.readFailure(this.readChanges(partitionKey(accountId), since, limit, deadline));
  }

  private async readChanges(pk: string, since: number, limit: number, deadline: number): Promise<ChangesPage> {
    const meta = await this.readMeta(pk, deadline);
    if (since > meta.revision) {
      const error = new DomainError('invalid', `since ${since} is after the current revision ${meta.revision}.`, [
        { path: 'since', message: `must be at most the current revision ${meta.revision}` },
      ]);
      error.revision = meta.revision;
      throw error;
    }
    if (since === meta.revision) return { revision: meta.revision, changes: [], more: false };
    const gone = (oldest: number) => {
      const error = new DomainError('history_gone', `The change history after revision ${since} is no longer kept: the oldest kept entry is revision ${oldest}. Read the list again.`);
      error.oldestRevision = oldest;
      error.revision = meta.revision;
      return error;
    };
    // Revisions written before the account kept a history have no entries.
    const oldest = meta.changesOldest ?? meta.revision + 1;
    if (since + 1 < oldest) throw gone(oldest);

    const last = Math.min(meta.revision, since + limit);
    const heads: Head[] = [];
    let startKey: Record<string, unknown> | undefined;
    let bytes = 0;
    do {
      const out = await this.calls.send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>(
        'Query',
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':pk': pk, ':a': headKey(since + 1), ':b': headKey(last) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
        deadline,
      );
      for (const item of out.Items ?? []) {
        const head = toHead(item);
        heads.push(head);
        bytes += head.bytes;
      }
      startKey = out.LastEvaluatedKey;
      // Stored (gzip'd) bytes are at most the answer's; past the page's budget, later heads would not be answered.
    } while (startKey && bytes < CHANGES_PAGE_BYTES);

    if (heads[0]?.rev !== since + 1) {
      const again = await this.readMeta(pk, deadline);
      throw gone(again.changesOldest ?? again.revision + 1);
    }
    const changes: ChangeEntry[] = [];
    let answerBytes = 0;
    for (const [index, head] of heads.entries()) {
      if (head.rev !== since + 1 + index) throw busy('The change history changed while it was read; try again.');
      const parts = head.parts ? await this.queryAll(pk, { from: partKey(head.rev, head.token, 0), to: partKey(head.rev, head.token, head.parts - 1) }, deadline) : [];
      const entry = decodeEntry(head, parts);
      if (!entry) throw new Error(`history entry ${head.rev} is incomplete`);
      // As a Lambda result carries it: JSON inside a JSON string.
      const size = Buffer.byteLength(JSON.stringify(JSON.stringify(entry)), 'utf8');
      if (changes.length && answerBytes + size > CHANGES_PAGE_BYTES) break;
      answerBytes += size;
      changes.push(entry);
    }
    const newest = changes[changes.length - 1]!.revision;
    return { revision: meta.revision, changes, more: newest < meta.revision };
  }

  private async getAt(accountId: string, id: number, deadline: number): Promise<{ revision: number; reason: StoredReason | undefined }> {
    const read = await this.readFailure(this.readStart(partitionKey(accountId), { target: id }, deadline));
    return { revision: read.revision, reason: read.target?.reason };
  }

  /**
   * One TransactGetItems (a snapshot): `#META`, and, when asked, the reason
   * `target` wherever it may live, the buckets of `textKeys`, and the
   * idempotency record `key`. `attempts: 1` reads speculatively (beside the
   * lease): a conflict with a commit in flight is not waited out. `underLease`:
   * the lease's holder, whose `#META` nobody else can change, leaves `#META`
   * out, so that writers arriving (each writes `#META` once) cannot cancel it.
   */
  private async readStart(pk: string, wanted: StartKeys, deadline: number, { attempts = Infinity, underLease }: { attempts?: number; underLease?: Meta } = {}): Promise<StartRead> {
    const keys = underLease ? startKeys(wanted) : [META_SK, ...startKeys(wanted)];
    const out = await this.calls.send<{ Responses?: { Item?: Record<string, unknown> }[] }>(
      'TransactGetItems',
      new TransactGetCommand({ TransactItems: keys.map((sk) => ({ Get: { TableName: this.table, Key: { pk, sk } } })) }),
      deadline,
      { attempts },
    );
    const items = (out.Responses ?? []).map((r) => r.Item);
    return underLease ? this.startFrom(items, wanted, underLease) : this.startFrom(items.slice(1), wanted, toMeta(items[0]));
  }

  /** What a write's read holds: `items` are those of `startKeys(wanted)`, in that order, read at `meta`. */
  private startFrom(items: ReadonlyArray<Record<string, unknown> | undefined>, wanted: StartKeys, meta: Meta): StartRead {
    const { target: id, key } = wanted;
    const bucketNumbers = bucketsOf(wanted);
    const target = id !== undefined ? this.targetOf(meta, items[0], items[1]) : undefined;
    const first = id !== undefined ? 2 : 0;
    const buckets = new Map(bucketNumbers.map((b, i) => [b, bucketHolders(items[first + i])]));
    const record = key !== undefined ? this.freshRecord(items[items.length - 1]) : undefined;
    return { revision: meta.revision, target, record, buckets };
  }

  /** The reason as a read at `meta` sees it, from its three possible items. */
  private targetOf(meta: Meta, live: Record<string, unknown> | undefined, deleted: Record<string, unknown> | undefined): Target | undefined {
    if (live && isCommitted(meta, live.id as number)) return { reason: liveReason(meta, live), where: 'live', seq: undefined, size: liveSize(meta, live) };
    if (deleted && isCommitted(meta, deleted.id as number) && (deleted.seq as number) >= meta.historyFloor) {
      return { reason: toReason(deleted), where: 'deleted', seq: deleted.seq as number, size: deleted.size as number };
    }
    return undefined;
  }

  private freshRecord(item: Record<string, unknown> | undefined): RecordItem | undefined {
    if (!item || typeof item.expiresAt !== 'number' || item.expiresAt <= this.now()) return undefined;
    return item as unknown as RecordItem;
  }

  async readMeta(pk: string, deadline: number): Promise<Meta> {
    const out = await this.calls.send<{ Item?: Record<string, unknown> }>(
      'GetItem',
      new GetCommand({ TableName: this.table, Key: { pk, sk: META_SK }, ConsistentRead: true }),
      deadline,
    );
    return toMeta(out.Item);
  }

  /** Every item of a key range (all pages), read consistently. */
  async queryAll(pk: string, range: { between: [string, string] } | { prefix: string } | { from: string; to: string; limit?: number }, deadline: number): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    const limit = 'limit' in range ? range.limit : undefined;
    const [condition, values] =
      'prefix' in range
        ? ['pk = :pk AND begins_with(sk, :a)', { ':pk': pk, ':a': range.prefix }]
        : 'between' in range
          ? ['pk = :pk AND sk BETWEEN :a AND :b', { ':pk': pk, ':a': range.between[0], ':b': range.between[1] }]
          : ['pk = :pk AND sk BETWEEN :a AND :b', { ':pk': pk, ':a': range.from, ':b': range.to }];
    do {
      const out = await this.calls.send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>(
        'Query',
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: condition,
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          ...(limit !== undefined && { Limit: limit - items.length }),
        }),
        deadline,
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey && (limit === undefined || items.length < limit));
    return items;
  }

  // ----------------------------------------------------------------- writes

  private async writeAt(
    accountId: string,
    request: WriteRequest,
    decide: (state: AccountState, ids: number[]) => WriteDecision,
    requestDeadline: number,
  ): Promise<WriteOutcome> {
    const pk = partitionKey(accountId);
    const key = request.idempotency;
    const wanted: StartKeys = { target: request.target, key: key?.key, textKeys: request.textKeys };
    const needsStart = request.target !== undefined || key !== undefined || (request.textKeys?.length ?? 0) > 0;
    // Beside the lease, a snapshot read, used if no write commits in between: not when the
    // account was just contended, since a write that waits its turn would read again anyway.
    const contended = this.wasContended(accountId);
    const speculate = needsStart && !contended;
    const [leased, started] = await Promise.allSettled([
      this.leases.acquire(accountId, request.newIds, key?.key, requestDeadline, contended, needsStart ? startKeys(wanted) : []),
      speculate ? this.readStart(pk, wanted, requestDeadline, { attempts: 1 }) : Promise.resolve(undefined),
    ]);
    // A repeat of a request that committed answers as it did, busy account or not.
    const record = started.status === 'fulfilled' ? started.value?.record : undefined;
    if (record && key) {
      if (leased.status === 'fulfilled') await this.leases.release(accountId, leased.value, true, requestDeadline + 500).catch(() => {});
      return this.replay(accountId, record, key);
    }
    if (leased.status === 'rejected') throw leased.reason;
    const lease = leased.value;
    if (lease.waited) this.markContended(accountId);
    // Nothing of this write may be sent once its lease could have lapsed.
    const deadline = Math.min(requestDeadline, lease.expires - 1_000);
    // Whether reasons of this write went out before its commit (then its ids are not handed back on failure).
    let itemsSent = false;
    // The parts of a large history entry, once sent: removed again if the write fails.
    let partsSent: EncodedEntry['parts'] = [];
    try {
      const meta = lease.meta;
      // The read beside the lease holds only if no write committed in between.
      let start = started.status === 'fulfilled' ? started.value : undefined;
      if (needsStart && (!start || start.revision !== meta.revision)) {
        // Read with #META by the read that showed the lease ours, or now, under the lease.
        start = lease.along ? this.startFrom(lease.along, wanted, meta) : await this.readStart(pk, wanted, deadline, { underLease: meta });
        // The key's record as of this revision: a repeat of a write that committed answers as it did.
        if (start.record && key) {
          await this.leases.release(accountId, lease, true, deadline).catch(() => {});
          return this.replay(accountId, start.record, key);
        }
      }
      const target = start?.target;
      const ids = Array.from({ length: request.newIds }, (_, i) => lease.firstId + i);
      // Under the lease: no write commits while these are read.
      const liveItems = request.readLive ? await this.readLiveItems(pk, meta, deadline) : undefined;

      // The record was read at this revision (above, or beside the lease), under the lease: no
      // request with this key can commit meanwhile, so a refusal here is this request's own.
      const state = accountState(meta, target, start?.buckets ?? new Map(), liveItems && liveItems.map((item) => liveReason(meta, item)));
      const decision = decide(state, ids);

      const plan = decision.plan;
      const revision = meta.revision + 1;
      if (decision.entry.revision !== revision) throw new Error(`the decision's history entry is for revision ${decision.entry.revision}, the write commits ${revision}`);
      const reasons = plan.kind === 'create' ? plan.reasons : plan.kind === 'replace' ? [plan.reason] : [];
      // A reorder changes #META's live size, lowest order and maybe orderGen; planCommit carries them over.
      const reorder = plan.kind === 'reorder' ? this.planReorder(pk, lease, meta, plan.changes, liveItems!, revision) : undefined;
      // An inline reorder's moved reasons are written (and stamped) by the commit; a large one's before it, unstamped.
      const reordered = reorder && !reorder.large && plan.kind === 'reorder' ? plan.changes.map((c) => c.id) : [];
      // The history entry: its head rides in the commit, a large one's parts go out before it, the oldest entries past the limits are dropped in it.
      const at = this.now();
      const { revision: _r, ...recorded } = decision.entry;
      const entry: ChangeEntry = { revision, at: new Date(at).toISOString(), ...recorded };
      const encoded = encodeEntry(pk, entry, lease.token, at);
      const history = await this.planHistory(pk, meta, encoded.bytes, revision, at, deadline);
      const commit = await this.planCommit(pk, lease, { ...(reorder ? reorder.meta : meta), ...history.bounds }, reasons, target, revision, deadline, reordered);
      if (reorder) commit.items.push(...reorder.items);
      // Small writes put their reasons in the commit itself; a large create (or reorder) writes them first, invisible until it commits.
      const room = COMMIT_ROOM - commit.buckets.length;
      const inline = plan.kind === 'replace' || (reorder ? !reorder.large : commit.items.length <= Math.min(this.transactionItems, room));
      const early = inline ? commit.cleanup : [...commit.cleanup, ...commit.items.map(toBatchRequest)];
      const parts = encoded.parts.map((Item) => ({ PutRequest: { Item } }));
      if (early.length || parts.length) {
        itemsSent = !inline;
        partsSent = encoded.parts;
        await this.batchWrite([...early, ...parts], deadline);
      }
      const actions: TransactItem[] = [{ Update: commit.metaUpdate }, ...commit.buckets];
      if (inline) actions.push(...commit.items);
      actions.push({ Put: { TableName: this.table, Item: encoded.head } }, ...history.drops);
      // The idempotency record goes last: commit() finds its refusal by that place.
      if (key) actions.push(this.recordPut(pk, key, decision.answer, revision));
      if (actions.length > TRANSACTION_MAX) throw new Error(`a commit of ${actions.length} actions planned; TransactWriteItems takes ${TRANSACTION_MAX}`);
      // A write that sent history parts stops trying to commit early enough to remove them if it fails.
      const commitDeadline = partsSent.length ? deadline - PARTS_CLEANUP_MS : deadline;
      const replayed = await this.commit(accountId, pk, lease, actions, key, !itemsSent, commitDeadline);
      if (replayed) await this.removeParts(partsSent, requestDeadline);
      return replayed ?? { revision, answer: decision.answer, replayed: false };
    } catch (error) {
      if (!(error instanceof CommitUnknown)) {
        // Not committed: this write's history parts count for nothing (no head names them), and the
        // lease is freed (ids of a write that wrote nothing go back). Both in the time kept for
        // answering: a commit retried to its deadline leaves none of its own.
        await Promise.all([
          this.removeParts(partsSent, requestDeadline + 500),
          this.leases.release(accountId, lease, !itemsSent, requestDeadline + 500).catch(() => {}),
        ]);
      }
      throw this.failure(error, accountId);
    }
  }

  private wasContended(accountId: string): boolean {
    const at = this.contended.get(accountId);
    return at !== undefined && at > this.now() - 5_000;
  }

  private markContended(accountId: string): void {
    if (this.contended.size >= 1_000) this.contended.clear(); // a bounded memory: only recent accounts matter
    this.contended.set(accountId, this.now());
  }

  /** Best effort: a failed or replayed write's own history parts (no committed head names its token, so they are never read). */
  private async removeParts(parts: EncodedEntry['parts'], deadline: number): Promise<void> {
    if (!parts.length) return;
    await this.batchWrite(
      parts.map((part) => ({ DeleteRequest: { Key: { pk: part.pk, sk: part.sk } } })),
      deadline,
    ).catch(() => {});
  }

  /**
   * The history's bounds after this write's entry, and the deletes of the oldest
   * entries that go (history.ts `planPurge`). Reads the oldest heads only when a
   * limit is passed: at most PURGE_READ small items.
   */
  private async planHistory(pk: string, meta: Meta, bytes: number, revision: number, at: number, deadline: number): Promise<{ bounds: Partial<Meta>; drops: TransactItem[] }> {
    const added = { revision, bytes, at };
    let heads: Head[] = [];
    if (mustPurge(meta, bytes, at, this.keepLimits)) {
      const items = await this.queryAll(pk, { from: headKey(meta.changesOldest!), to: headKey(revision - 1), limit: PURGE_READ }, deadline);
      heads = items.map(toHead);
    }
    const { drop, bounds } = planPurge(meta, heads, added, this.keepLimits);
    const drops = drop.flatMap((head) => entryKeys(head).map((sk): TransactItem => ({ Delete: { TableName: this.table, Key: { pk, sk } } })));
    return { bounds, drops };
  }

  /** The domain's refusals pass; running out of time before the commit means nothing changed. */
  private failure(error: unknown, accountId: string): unknown {
    if (error instanceof CommitUnknown) {
      this.onEvent({ type: 'outcome-unknown', accountId, operation: 'TransactWriteItems' });
      return new DomainError(
        'outcome_unknown',
        'The write may or may not have been applied: DynamoDB did not answer in time. Send it again with the same idempotency key to find out, or read the status reasons.',
      );
    }
    if (error instanceof DeadlineExceeded) return busy(nothingChanged(error));
    return error;
  }

  private async replay(accountId: string, record: RecordItem, key: IdempotencyKey): Promise<WriteOutcome> {
    if (record.fingerprint !== key.fingerprint) {
      throw new DomainError(
        'idempotency_mismatch',
        'This idempotency key was used in the last 24 hours for a different request; use a new key for a new request.',
      );
    }
    this.onEvent({ type: 'idempotent-replay', accountId });
    return { revision: record.revision, answer: JSON.parse(record.answer) as unknown, replayed: true };
  }

  private recordPut(pk: string, key: IdempotencyKey, answer: unknown, revision: number): TransactItem {
    const now = this.now();
    const item: RecordItem = {
      pk,
      sk: recordKey(key.key),
      fingerprint: key.fingerprint,
      answer: JSON.stringify(answer),
      revision,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
      ttl: Math.ceil((now + IDEMPOTENCY_TTL_MS) / 1000) + 3600,
    };
    return {
      Put: {
        TableName: this.table,
        Item: item,
        // Unused, or used longer ago than it is remembered.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * Sends the commit. DynamoDB applies a TransactWriteItems sent again with the
   * same ClientRequestToken only once, and answers it as the first, so retries
   * after a lost answer are safe. Refused: the lease is gone (nothing applied:
   * busy), or the key was committed by another request (nothing applied: its
   * record answers). Out of time with an attempt that may have landed: the lease
   * is fenced (`fence`) to find out. Undefined: committed.
   */
  private async commit(
    accountId: string,
    pk: string,
    lease: Lease,
    actions: TransactItem[],
    key: IdempotencyKey | undefined,
    giveBack: boolean,
    deadline: number,
  ): Promise<WriteOutcome | undefined> {
    const command = new TransactWriteCommand({ TransactItems: actions, ClientRequestToken: lease.token });
    try {
      await this.calls.send('TransactWriteItems', command, deadline);
      return undefined;
    } catch (error) {
      if (isConditionFailure(error)) {
        const keyIndex = actions.length - 1;
        if (key && cancellationCodes(error)[keyIndex] === 'ConditionalCheckFailed') {
          const seen = plain(refusedItem(error, keyIndex));
          const record = seen && this.freshRecord(seen);
          if (record) {
            await this.leases.release(accountId, lease, giveBack, deadline + 500).catch(() => {});
            return this.replay(accountId, record, key);
          }
        }
        throw busy('The write took too long and lost its turn; nothing was changed. Try again.');
      }
      if (error instanceof DeadlineExceeded && error.mayHaveApplied) {
        if (await this.fence(accountId, lease, giveBack, deadline + 400)) return undefined;
        throw busy('DynamoDB did not confirm the write in time, and it was not applied; nothing was changed. Try again.');
      }
      throw error;
    }
  }

  /** Whether a commit whose answer never came was applied (AccountLeases.fence); no answer to that either: CommitUnknown. */
  private async fence(accountId: string, lease: Lease, giveBack: boolean, deadline: number): Promise<boolean> {
    try {
      return await this.leases.fence(accountId, lease, giveBack, deadline);
    } catch {
      throw new CommitUnknown();
    }
  }

  /** What a plan writes, and the housekeeping that rides along with it. */
  private async planCommit(
    pk: string,
    lease: Lease,
    meta: Meta,
    reasons: StatusReason[],
    target: Target | undefined,
    revision: number,
    deadline: number,
    /** Live reasons the commit also updates in place (an inline reorder), for `wrote`. */
    updatedIds: readonly number[] = [],
  ): Promise<{ metaUpdate: NonNullable<TransactItem['Update']>; buckets: TransactItem[]; items: TransactItem[]; cleanup: WriteRequestItem[] }> {
    const now = this.now();
    const texts = new BucketChanges();
    let { live, liveBytes, historyBytes, lowestOrder, deleteSeq } = meta;
    const items: TransactItem[] = [];
    const put = (item: object) => items.push({ Put: { TableName: this.table, Item: item as Record<string, unknown> } });
    const remove = (sk: string) => items.push({ Delete: { TableName: this.table, Key: { pk, sk } } });

    for (const plain of reasons) {
      const reason: StoredReason = { ...plain, modifiedAt: now, modifiedRegion: this.region };
      const size = wireSize(reason);
      // What it replaces: its old version stops counting where it counted.
      if (target && target.reason.id === reason.id) {
        if (target.where === 'live') {
          live--;
          liveBytes -= target.size;
          texts.remove(textKey(target.reason.text));
          if (reason.deleted) remove(liveKey(reason.id));
        } else {
          historyBytes -= target.size;
          if (!reason.deleted) {
            remove(deletedKey(reason.id));
            remove(logKey(target.seq!));
          }
        }
      }
      if (reason.deleted) {
        // Kept in the deletion log; a deleted reason edited in place keeps its place.
        const seq = target?.where === 'deleted' && target.reason.id === reason.id ? target.seq! : deleteSeq++;
        put(reasonItem(pk, reason, revision, size, seq));
        put(logItem(pk, seq, reason.id, size));
        historyBytes += size;
      } else {
        put(reasonItem(pk, reason, revision, size));
        texts.set(textKey(reason.text), reason.id);
        live++;
        liveBytes += size;
      }
      if (lowestOrder === undefined || reason.order < lowestOrder) lowestOrder = reason.order;
    }

    // Ids of failed writes: those of earlier writers that never committed become a dirty range.
    const dirty: DirtyRange[] = meta.dirty.map((range) => ({ ...range })); // copies: cleaned ranges shrink below
    if (meta.committedHigh < lease.firstId) dirty.push({ from: meta.committedHigh, to: lease.firstId, since: now });
    const cleanup: WriteRequestItem[] = [];
    let budget = this.cleanupMax;
    for (const range of dirty) {
      if (budget <= 0 || range.since > now - this.dirtyGraceMs) continue;
      const to = Math.min(range.to, range.from + budget);
      for (let id = range.from; id < to; id++) {
        cleanup.push({ DeleteRequest: { Key: { pk, sk: liveKey(id) } } }, { DeleteRequest: { Key: { pk, sk: deletedKey(id) } } });
      }
      budget -= to - range.from;
      range.from = to;
    }
    const stillDirty = dirty.filter((r) => r.from < r.to);

    // The history's budget: drop the longest-deleted reasons.
    let { historyFloor, purgedTo } = meta;
    if (historyBytes > this.historyBytesMax) {
      ({ historyFloor, historyBytes } = await this.dropOldest(pk, meta, historyBytes, items, deadline));
    }
    // Dropped reasons go for good a few at a time (they are no longer seen).
    if (purgedTo < meta.historyFloor && budget > 0) {
      const log = await this.queryAll(pk, { from: logKey(purgedTo), to: logKey(meta.historyFloor - 1), limit: budget }, deadline);
      for (const entry of log) {
        cleanup.push({ DeleteRequest: { Key: { pk, sk: deletedKey(entry.reasonId as number) } } }, { DeleteRequest: { Key: { pk, sk: entry.sk as string } } });
        purgedTo = (entry.seq as number) + 1;
      }
      if (log.length < budget) purgedTo = meta.historyFloor;
    }

    const { set, values } = metaAssignments({
      ...meta,
      committedHigh: meta.nextId,
      dirty: stillDirty,
      live,
      liveBytes,
      historyBytes,
      lowestOrder,
      deleteSeq,
      historyFloor,
      purgedTo,
    });
    set.unshift('revision = :revision', 'wrote = :wrote');
    values[':revision'] = revision;
    // What this commit wrote, for reads to check each item at this revision (readAtRevision).
    values[':wrote'] = [...reasons.map((r) => (r.deleted ? -r.id : r.id)), ...updatedIds];
    values[':token'] = lease.token;
    // How long a hold takes (from finding the lease ours to this commit), for the waiters' timing.
    const held = Math.max(0, now - lease.since);
    set.push('holdMs = :holdMs');
    // One slow turn (a large write, a retried call) counts as at most twice the usual: waiters sleep by it.
    values[':holdMs'] = Math.round(lease.holdMs === undefined ? held : lease.holdMs * 0.8 + Math.min(held, 2 * lease.holdMs) * 0.2);
    // The lease goes to the oldest waiter this writer knows of, its ids after this write's.
    const end = endLease(lease, meta.nextId, now, this.leaseMs);
    const metaUpdate = {
      TableName: this.table,
      Key: { pk, sk: META_SK },
      UpdateExpression: `SET ${[...set, ...end.set].join(', ')} REMOVE ${end.remove.join(', ')}`,
      ConditionExpression: 'lockToken = :token',
      ExpressionAttributeNames: end.names,
      ExpressionAttributeValues: { ...values, ...end.values },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    return { metaUpdate, buckets: texts.updates(this.table, pk), items, cleanup };
  }

  /** Every live reason item of the account that a read at `meta` sees, as stored (with any `pending`). */
  private async readLiveItems(pk: string, meta: Meta, deadline: number): Promise<Record<string, unknown>[]> {
    // No write commits under the lease, but the last commit's items may still be
    // appearing one by one (read-committed): read until they all show `meta`'s revision.
    for (let attempt = 0; ; attempt++) {
      const items = await this.queryAll(pk, { between: [LIVE_PREFIX, LIVE_END] }, deadline);
      const live = items.filter((item) => isCommitted(meta, item.id as number));
      if (readAtRevision(meta, live, undefined)) return live;
      const wait = backoffDelay(Math.min(attempt, 6), { baseMs: 10, maxMs: 250 });
      if (this.now() + wait >= deadline) throw busy('The last write to this account was still being applied when this one read it; nothing was changed. Try again shortly.');
      await sleep(wait);
    }
  }

  /**
   * A reorder's writes: the moved reasons' new order, size and modification
   * stamp, and `meta` as the commit leaves it (live size, lowest order). Up to
   * `reorderInlineMax` moves ride in the commit as UpdateItems. More cannot, so
   * they become pending values (layout.ts, "Large reorders"): the moved reasons,
   * and the previous large reorder's reasons that still carry its pending values,
   * are put whole before the commit (BatchWriteItem takes `Put`s, not `Update`s),
   * and the commit names this write's token in `#META.orderGen`, which makes all
   * of the new values count at once.
   */
  private planReorder(
    pk: string,
    lease: Lease,
    meta: Meta,
    changes: readonly OrderChange[],
    liveItems: readonly Record<string, unknown>[],
    revision: number,
  ): { items: TransactItem[]; meta: Meta; large: boolean } {
    const now = this.now();
    const byId = new Map(liveItems.map((item) => [item.id as number, item]));
    const large = changes.length > this.reorderInlineMax;
    const items: TransactItem[] = [];
    const put = (item: Record<string, unknown>) => items.push({ Put: { TableName: this.table, Item: item } });
    let { liveBytes, lowestOrder } = meta;
    const moved = new Set<number>();
    for (const { id, order } of changes) {
      const item = byId.get(id);
      if (!item) throw new Error(`planReorder: reason ${id} is not live`); // the decision saw only live reasons
      moved.add(id);
      const current = liveReason(meta, item);
      const currentSize = liveSize(meta, item);
      const size = wireSize({ ...current, order });
      liveBytes += size - currentSize;
      if (lowestOrder === undefined || order < lowestOrder) lowestOrder = order;
      if (!large) {
        items.push({
          Update: {
            TableName: this.table,
            Key: { pk, sk: liveKey(id) },
            UpdateExpression: 'SET #order = :order, #size = :size, modifiedAt = :at, modifiedRegion = :region, rev = :rev REMOVE pending',
            ExpressionAttributeNames: { '#order': 'order', '#size': 'size' },
            ExpressionAttributeValues: { ':order': order, ':size': size, ':at': now, ':region': this.region, ':rev': revision },
          },
        });
        continue;
      }
      // The reason as reads see it now, and the values that count once the commit names this token.
      const pending: PendingOrder = { gen: lease.token, order, size, modifiedAt: now, modifiedRegion: this.region };
      const { pending: _replaced, ...stored } = item;
      put({ ...stored, order: current.order, size: currentSize, modifiedAt: current.modifiedAt, modifiedRegion: current.modifiedRegion, pending });
    }
    if (large) {
      // The previous large reorder's values stop counting once #META names this one: make them plain values first.
      for (const item of liveItems) {
        const pending = committedPending(meta, item);
        if (!pending || moved.has(item.id as number)) continue;
        const { pending: _folded, ...stored } = item;
        put({ ...stored, order: pending.order, size: pending.size, modifiedAt: pending.modifiedAt, modifiedRegion: pending.modifiedRegion });
      }
    }
    return { items, meta: { ...meta, liveBytes, lowestOrder, orderGen: large ? lease.token : meta.orderGen }, large };
  }

  /**
   * Moves the history's floor past the longest-deleted reasons until the
   * history fits its budget again: the deletion log from its floor, then
   * this write's own entries. Reads only as much of the log as it drops.
   */
  private async dropOldest(pk: string, meta: Meta, historyBytes: number, items: TransactItem[], deadline: number) {
    let { historyFloor } = meta;
    let bytes = historyBytes;
    const max = this.historyBytesMax;
    // This write's log entries: new ones, and any it rewrites (a deleted reason edited in place).
    const pending = new Map<number, number>();
    for (const action of items) {
      const item = action.Put?.Item;
      if (item && (item.sk as string).startsWith(LOG_PREFIX)) pending.set(item.seq as number, item.size as number);
    }
    const removed = new Set(items.flatMap((a) => (a.Delete && (a.Delete.Key!.sk as string).startsWith(LOG_PREFIX) ? [a.Delete.Key!.sk as string] : [])));
    while (bytes > max && historyFloor < meta.deleteSeq) {
      const page = await this.queryAll(pk, { from: logKey(historyFloor), to: logKey(meta.deleteSeq - 1), limit: 200 }, deadline);
      if (!page.length) {
        historyFloor = meta.deleteSeq;
        break;
      }
      for (const entry of page) {
        if (bytes <= max) break;
        const seq = entry.seq as number;
        if (!removed.has(entry.sk as string)) bytes -= pending.get(seq) ?? (entry.size as number);
        historyFloor = seq + 1;
      }
    }
    for (const [seq, size] of [...pending].sort(([a], [b]) => a - b)) {
      if (bytes <= max) break;
      if (seq < historyFloor) continue;
      bytes -= size;
      historyFloor = seq + 1;
    }
    return { historyFloor, historyBytes: bytes };
  }

  /** Writes items (idempotent puts and deletes) in batches, all settled before it returns; any failure fails it. */
  async batchWrite(requests: WriteRequestItem[], deadline: number): Promise<void> {
    const chunks: WriteRequestItem[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_SIZE) chunks.push(requests.slice(i, i + BATCH_SIZE));
    let next = 0;
    const failures: unknown[] = [];
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        try {
          await this.batchChunk(chunk, deadline);
        } catch (error) {
          failures.push(error);
          return;
        }
      }
    };
    // Settled, every one, before this returns: no batch of this request lands after its answer.
    await Promise.allSettled(Array.from({ length: Math.min(this.batchConcurrency, chunks.length) }, worker));
    if (failures.length) throw failures[0];
  }

  private async batchChunk(chunk: WriteRequestItem[], deadline: number): Promise<void> {
    let pending = chunk;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt) {
        this.onEvent({ type: 'retry', operation: 'BatchWriteItem', cause: 'unprocessed', attempt });
        const wait = backoffDelay(Math.min(attempt, 8), { baseMs: 25, maxMs: 1_000 });
        if (this.now() + wait >= deadline) throw new DeadlineExceeded('BatchWriteItem', 'unprocessed', false);
        await sleep(wait);
      }
      const out = await this.calls.send<{ UnprocessedItems?: Record<string, WriteRequestItem[]> }>(
        'BatchWriteItem',
        new BatchWriteCommand({ RequestItems: { [this.table]: pending } }),
        deadline,
      );
      pending = out.UnprocessedItems?.[this.table] ?? [];
    }
  }
}

/** The commit was sent, and whether it was applied could not be found out in time. */
class CommitUnknown extends Error {
  constructor() {
    super('commit outcome unknown');
    this.name = 'CommitUnknown';
  }
}

/**
 * Whether the reason items a read found are those of `meta`'s revision, every
 * one. DynamoDB's reads are read-committed per item: while a commit applies, a
 * Query may show some of its items new and others old, `#META` included, so a
 * Query that saw `#META` at revision r may still see a reason as r-1 left it,
 * or already as r+1 writes it. `#META.wrote` names the reasons its commit wrote
 * (ids; negative: written deleted), each stamped `rev` = r: each must show that
 * stamp (or, deleted, no live item); no item may carry a later stamp; and the
 * live ones must number `meta.live` (a reason a later commit deletes, already
 * gone). Commits of one account never overlap (each includes `#META`), so every
 * item a commit before r wrote is visible once r's are.
 */
export function readAtRevision(meta: Meta, live: Record<string, unknown>[], deleted: Record<string, unknown>[] | undefined): boolean {
  if (live.length !== meta.live) return false;
  const seen = [...live, ...(deleted ?? [])];
  if (seen.some((item) => typeof item.rev === 'number' && item.rev > meta.revision)) return false;
  const liveById = new Map(live.map((item) => [item.id as number, item]));
  const deletedById = new Map((deleted ?? []).map((item) => [item.id as number, item]));
  for (const written of meta.wrote) {
    const id = Math.abs(written);
    if (written > 0) {
      if (liveById.get(id)?.rev !== meta.revision) return false;
      if (deletedById.has(id)) return false; // restored at r: its deleted item is gone at r
    } else {
      if (liveById.has(id)) return false; // deleted at r: its live item is gone at r
      const item = deletedById.get(id);
      if (item && item.rev !== meta.revision) return false;
    }
  }
  return true;
}

function toBatchRequest(action: TransactItem): WriteRequestItem {
  if (action.Put) return { PutRequest: { Item: action.Put.Item } };
  return { DeleteRequest: { Key: action.Delete!.Key } };
}

/** What the domain decides on, from `#META`, the target and the text buckets read. */
function accountState(
  meta: Meta,
  target: Target | undefined,
  buckets: Map<number, Record<string, number>>,
  liveReasons: StoredReason[] | undefined,
): AccountState {
  return {
    revision: meta.revision,
    liveCount: meta.live,
    liveBytes: meta.liveBytes,
    lowestOrder: meta.lowestOrder,
    holderOf: (key) => {
      const digest = textDigest(key);
      const bucket = buckets.get(bucketOf(digest));
      // A fault of ours, not of the input: the write did not declare this text (WriteRequest.textKeys).
      if (!bucket) throw new Error('holderOf(): the write did not declare this text key, so its bucket was not read');
      return bucket[digest];
    },
    target: target?.reason,
    liveReasons,
  };
}

/**
 * The changes a commit makes to the text buckets: digests set (a live reason
 * takes a text) and removed (it gives one up), as one UpdateItem per bucket,
 * by attribute path, so that no bucket needs reading to be changed.
 */
class BucketChanges {
  private readonly byBucket = new Map<number, { set: Map<string, number>; remove: Set<string> }>();

  private of(digest: string) {
    const bucket = bucketOf(digest);
    let changes = this.byBucket.get(bucket);
    if (!changes) this.byBucket.set(bucket, (changes = { set: new Map(), remove: new Set() }));
    return changes;
  }

  set(key: string, id: number): void {
    const digest = textDigest(key);
    const changes = this.of(digest);
    changes.remove.delete(digest);
    changes.set.set(digest, id);
  }

  remove(key: string): void {
    const digest = textDigest(key);
    this.of(digest).remove.add(digest);
  }

  updates(table: string, pk: string): TransactItem[] {
    const actions: TransactItem[] = [];
    for (const [bucket, { set, remove }] of this.byBucket) {
      for (const digest of set.keys()) remove.delete(digest); // taken again in the same write: set wins
      if (!set.size && !remove.size) continue;
      const names: Record<string, string> = {};
      const values: Record<string, number> = {};
      const sets = [...set].map(([digest, id], i) => ((names[`#s${i}`] = digest), (values[`:s${i}`] = id), `#s${i} = :s${i}`));
      const removes = [...remove].map((digest, i) => ((names[`#r${i}`] = digest), `#r${i}`));
      actions.push({
        Update: {
          TableName: table,
          Key: { pk, sk: bucketKey(bucket) },
          UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
          ExpressionAttributeNames: names,
          ...(sets.length && { ExpressionAttributeValues: values }),
        },
      });
    }
    return actions;
  }
}
