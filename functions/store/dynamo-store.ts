// The only module that speaks DynamoDB.
//
// One partition per account: a counter item `#META` and one item per reason.
//   #META  { revision, nextId, committedHigh, lockToken?, lockExpires?, nextUp?, nextUpSince?, nextUpExpires? }
//   REASON#<16-digit id> { id, text, state, enabled, deleted, order, description?, tags?, rev }
//
// Every write holds the account's lease (lockToken in #META, taken with a
// conditional UpdateItem), so writes of one account run one at a time: each
// gets its own revision, one above the last, and uniqueness and the cap are
// judged on a snapshot nobody else can change meanwhile.
//
// A create batch-writes its items (not atomic) and then commits by raising
// `committedHigh` past their ids in the same UpdateItem that raises the
// revision and frees the lease. Reads show only ids below `committedHigh`, so
// a create is seen whole or not at all. Ids in [committedHigh, nextId) belong
// to writes that never committed (a crash, a lost lease, throttling that
// outlasted every retry): the next create deletes them before it commits.
// A replace (PUT, DELETE) touches one item: a transaction writes it together
// with the revision.
//
// The lease must outlive its holder's writes: a holder stops issuing writes
// once `safeFraction` of the lease has gone by, and a contender takes over a
// lease only after it has expired.
//
// Writers waiting for the lease queue by age: a waiter claims the next turn
// (`nextUp` in #META, with the time it started waiting) unless an older live
// waiter holds it, and only the claimant, or anyone when no live claim exists,
// may take the lease. Without this, newcomers (whose first retries come
// quickly) kept winning over writers that had waited long, until those gave
// up. A claim lapses after `claimMs` unless renewed, so a waiter that dies
// holds nobody up for longer than that.
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import { textKey, wireSize, type ReasonState, type StatusReason, type StoredReason } from '../domain/status-reason.js';
import type { AccountState, StatusReasonStore, WriteDecision, WriteOutcome, WritePlan, WriteRequest } from '../domain/store.js';
import { isConditionFailure, isThrottle } from './errors.js';
import { backoffDelay, sleep, type BackoffOptions } from './retry.js';

export const META_SK = '#META';
const REASON_PREFIX = 'REASON#';
const BATCH_SIZE = 25;

export const partitionKey = (accountId: string) => `ACCOUNT#${accountId}`;
export const reasonSortKey = (id: number) => `${REASON_PREFIX}${String(id).padStart(16, '0')}`;

/**
 * The lease's two UpdateItem expressions, shared with the benchmark's floor so
 * that it issues exactly the store's calls. Taking the lease allocates the
 * write's ids (`:n`) and needs the lease free (or expired) and the next turn
 * ours (`:token`) or nobody's.
 */
export const TAKE_LEASE = {
  update:
    'SET lockToken = :token, lockExpires = :expires, nextId = if_not_exists(nextId, :one) + :n, ' +
    'committedHigh = if_not_exists(committedHigh, :one), revision = if_not_exists(revision, :zero) ' +
    'REMOVE nextUp, nextUpSince, nextUpExpires',
  condition: '(attribute_not_exists(lockToken) OR lockExpires < :now) AND (attribute_not_exists(nextUp) OR nextUp = :token OR nextUpExpires < :now)',
} as const;

/** Commits a create: the new revision, its ids made visible, the lease freed, if still ours. */
export const COMMIT_CREATE = {
  update: 'SET revision = :revision, committedHigh = :high REMOVE lockToken, lockExpires',
  condition: 'lockToken = :token',
} as const;

/** Events a caller may count (metrics, the benchmark). */
export type StoreEvent =
  | { type: 'lease-busy'; accountId: string; attempt: number; nextUp: boolean }
  | { type: 'lease-taken-over'; accountId: string }
  | { type: 'batch-retry'; unprocessed: number; attempt: number; throttled: boolean };

export interface DynamoStoreOptions {
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** How long a write lease lasts; must exceed the longest write (the Lambda timeout). */
  leaseMs?: number;
  /** Share of the lease after which the holder issues no more writes. */
  safeFraction?: number;
  /** How long a writer waits for another writer's lease before giving up. */
  leaseWaitMs?: number;
  /** Backoff between lease attempts of the waiter whose turn is next. */
  leaseBackoff?: BackoffOptions;
  /** Backoff between the other waiters' tries to claim the next turn. */
  queueBackoff?: BackoffOptions;
  /** How long a claim on the next turn lasts unless renewed. */
  claimMs?: number;
  /** Retries of a batch's unprocessed items or throttled batch calls. */
  batchAttempts?: number;
  batchBackoff?: BackoffOptions;
  onEvent?: (event: StoreEvent) => void;
  now?: () => number;
  /** The region stamped on every reason written (Connect's LastModifiedRegion); `AWS_REGION` by default. */
  region?: string;
}

interface Meta {
  revision: number;
  nextId: number;
  committedHigh: number;
}

interface Lease extends Meta {
  token: string;
  safeUntil: number;
}

type ReasonItem = StoredReason & { pk: string; sk: string; rev: number };

function toReason(item: Record<string, unknown> | ReasonItem): StoredReason {
  const reason: StoredReason = {
    id: item.id as number,
    text: item.text as string,
    state: item.state as ReasonState,
    enabled: item.enabled as boolean,
    deleted: item.deleted as boolean,
    order: item.order as number,
  };
  if (item.description !== undefined) reason.description = item.description as string;
  if (item.tags !== undefined) reason.tags = item.tags as Record<string, string>;
  if (item.modifiedAt !== undefined) reason.modifiedAt = item.modifiedAt as number;
  if (item.modifiedRegion !== undefined) reason.modifiedRegion = item.modifiedRegion as string;
  return reason;
}

function toMeta(item: Record<string, unknown> | undefined): Meta {
  return {
    revision: (item?.revision as number | undefined) ?? 0,
    nextId: (item?.nextId as number | undefined) ?? 1,
    committedHigh: (item?.committedHigh as number | undefined) ?? 1,
  };
}

const busy = (message: string) => new DomainError('busy', message);

/** Who holds the next turn for the lease. */
interface NextUp {
  token: string;
  since: number;
  expires: number;
}

type LeaseRefusal = { refused: 'throttled'; nextUp?: undefined } | { refused: 'busy'; nextUp: NextUp | undefined };

/**
 * The claim on #META as a refused condition returned it. The document client
 * leaves that item in DynamoDB's attribute-value form (aws-sdk-js-v3 #6723);
 * plain values are read too, should a later version unmarshall it.
 */
export function nextUpOf(item: Record<string, unknown> | undefined): NextUp | undefined {
  const plain = (value: unknown): unknown =>
    value !== null && typeof value === 'object' ? ((value as { S?: string; N?: string }).S ?? (value as { N?: string }).N) : value;
  const token = plain(item?.nextUp);
  if (typeof token !== 'string') return undefined;
  return { token, since: Number(plain(item!.nextUpSince) ?? 0), expires: Number(plain(item!.nextUpExpires) ?? 0) };
}

export class DynamoStatusReasonStore implements StatusReasonStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly leaseMs: number;
  private readonly safeFraction: number;
  private readonly leaseWaitMs: number;
  private readonly leaseBackoff: BackoffOptions;
  private readonly queueBackoff: BackoffOptions;
  private readonly claimMs: number;
  private readonly batchAttempts: number;
  private readonly batchBackoff: BackoffOptions;
  private readonly onEvent: (event: StoreEvent) => void;
  private readonly now: () => number;
  private readonly region: string;

  constructor(options: DynamoStoreOptions) {
    this.doc =
      options.client instanceof DynamoDBDocumentClient
        ? options.client
        : DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = options.tableName;
    this.leaseMs = options.leaseMs ?? 20_000;
    this.safeFraction = options.safeFraction ?? 0.75;
    this.leaseWaitMs = options.leaseWaitMs ?? 8_000;
    this.leaseBackoff = options.leaseBackoff ?? { baseMs: 5, maxMs: 20 };
    this.queueBackoff = options.queueBackoff ?? { baseMs: 100, maxMs: 400 };
    this.claimMs = options.claimMs ?? 2_000;
    this.batchAttempts = options.batchAttempts ?? 8;
    this.batchBackoff = options.batchBackoff ?? { baseMs: 25, maxMs: 1_000 };
    this.onEvent = options.onEvent ?? (() => {});
    this.now = options.now ?? Date.now;
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  }

  async read(accountId: string, options: { includeDeleted?: boolean } = {}): Promise<{ revision: number; reasons: StoredReason[] }> {
    // A Query is not a snapshot across pages: a replace that commits mid-read
    // shows as an item newer than the #META read first. Read again then.
    for (let attempt = 0; ; attempt++) {
      const { meta, reasons } = await this.queryAccount(accountId);
      const seen = reasons.filter((item) => item.id < meta.committedHigh && (options.includeDeleted || !item.deleted));
      const torn = seen.some((item) => item.rev > meta.revision);
      if (!torn || attempt >= 4) return { revision: meta.revision, reasons: seen.map(toReason) };
    }
  }

  async get(accountId: string, id: number): Promise<{ revision: number; reason: StoredReason | undefined }> {
    const pk = partitionKey(accountId);
    let keys: Record<string, unknown>[] = [
      { pk, sk: META_SK },
      { pk, sk: reasonSortKey(id) },
    ];
    const found: Record<string, unknown>[] = [];
    for (let attempt = 0; keys.length; attempt++) {
      if (attempt >= this.batchAttempts) throw busy('The store stayed throttled; try again shortly.');
      if (attempt) await sleep(backoffDelay(attempt, this.batchBackoff));
      const out = await this.callThrottled(() =>
        this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } })),
      );
      if (!out) continue;
      found.push(...(out.Responses?.[this.table] ?? []));
      keys = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    const meta = toMeta(found.find((item) => item.sk === META_SK));
    const item = found.find((i) => i.sk !== META_SK);
    const reason = item && (item.id as number) < meta.committedHigh ? toReason(item) : undefined;
    return { revision: meta.revision, reason };
  }

  async write(accountId: string, request: WriteRequest, decide: (state: AccountState, ids: number[]) => WriteDecision): Promise<WriteOutcome> {
    // Read the account while taking the lease: when no write committed in
    // between (same revision), that read is the snapshot; otherwise read again.
    const [leased, read] = await Promise.allSettled([this.acquire(accountId, request.newIds), this.queryAccount(accountId)]);
    if (leased.status === 'rejected') throw leased.reason;
    const lease = leased.value;
    const ids = Array.from({ length: request.newIds }, (_, i) => lease.nextId + i);
    let wrote = false;
    try {
      if (read.status === 'rejected') throw read.reason;
      const { reasons } = read.value.meta.revision === lease.revision ? read.value : await this.queryAccount(accountId);
      const { plan, answer } = decide(stateOf(lease.revision, visible(reasons, lease), request.target), ids);
      const revision = lease.revision + 1;
      wrote = true;
      if (plan.kind === 'create') await this.commitCreate(accountId, lease, plan.reasons.map(this.stamp), request.newIds, revision);
      else await this.commitReplace(accountId, lease, this.stamp(plan.reason), revision);
      return { revision, answer, replayed: false };
    } catch (error) {
      await this.release(accountId, lease, wrote ? undefined : lease.nextId + request.newIds).catch(() => {});
      throw error;
    }
  }

  private readonly stamp = (reason: StatusReason): StoredReason => ({ ...reason, modifiedAt: this.now(), modifiedRegion: this.region });

  /**
   * Takes the account's write lease. While another writer holds it, waits in
   * line (see the top of this file): each refused attempt shows who is next;
   * when nobody live is, or a younger waiter is, it claims the next turn, and
   * it retries quickly while the turn is its own and slowly otherwise.
   */
  private async acquire(accountId: string, newIds: number): Promise<Lease> {
    const token = randomUUID();
    const started = this.now();
    let claimUntil = 0; // when our claim on the next turn lapses; 0: we hold none
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.tryLease(accountId, token, newIds);
      if ('token' in outcome) return outcome;
      const now = this.now();
      if (now - started > this.leaseWaitMs) {
        if (claimUntil > now) await this.dropClaim(accountId, token).catch(() => {});
        throw busy(outcome.refused === 'throttled' ? 'The store stayed throttled; try again shortly.' : 'Other writes to this account kept it busy; try again shortly.');
      }
      const next = outcome.nextUp;
      if (next && next.token !== token && next.expires >= now) claimUntil = 0; // someone else's turn
      const mayClaim = !next || next.expires < now || next.token === token || next.since > started;
      if (outcome.refused === 'busy' && mayClaim && claimUntil < now + this.claimMs / 2) {
        claimUntil = (await this.claimNextTurn(accountId, token, started)) ? now + this.claimMs : 0;
      }
      this.onEvent({ type: 'lease-busy', accountId, attempt, nextUp: claimUntil > now });
      await sleep(backoffDelay(Math.min(attempt, 10), claimUntil > now ? this.leaseBackoff : this.queueBackoff));
    }
  }

  /**
   * One attempt at the lease: it must be free (or expired), and the next turn
   * ours or nobody's. A refusal says who holds the next turn, read from the
   * item as the condition saw it.
   */
  private async tryLease(accountId: string, token: string, newIds: number): Promise<Lease | LeaseRefusal> {
    const now = this.now();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partitionKey(accountId), sk: META_SK },
          UpdateExpression: TAKE_LEASE.update,
          ConditionExpression: TAKE_LEASE.condition,
          ExpressionAttributeValues: { ':token': token, ':expires': now + this.leaseMs, ':one': 1, ':zero': 0, ':n': newIds, ':now': now },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (out.Attributes?.lockToken !== undefined) this.onEvent({ type: 'lease-taken-over', accountId });
      return { ...toMeta(out.Attributes), token, safeUntil: now + this.leaseMs * this.safeFraction };
    } catch (error) {
      if (isThrottle(error)) return { refused: 'throttled' };
      if (!isConditionFailure(error)) throw error;
      return { refused: 'busy', nextUp: nextUpOf((error as { Item?: Record<string, unknown> }).Item) };
    }
  }

  /** Claims (or renews) the next turn unless a live claim of an older waiter stands. */
  private async claimNextTurn(accountId: string, token: string, waitingSince: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partitionKey(accountId), sk: META_SK },
          UpdateExpression: 'SET nextUp = :token, nextUpSince = :since, nextUpExpires = :expires',
          ConditionExpression: 'attribute_not_exists(nextUp) OR nextUp = :token OR nextUpExpires < :now OR nextUpSince > :since',
          ExpressionAttributeValues: { ':token': token, ':since': waitingSince, ':expires': now + this.claimMs, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error) || isThrottle(error)) return false;
      throw error;
    }
  }

  /** Gives the next turn back when a waiter gives up, so the line moves on at once. */
  private async dropClaim(accountId: string, token: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: partitionKey(accountId), sk: META_SK },
        UpdateExpression: 'REMOVE nextUp, nextUpSince, nextUpExpires',
        ConditionExpression: 'nextUp = :token',
        ExpressionAttributeValues: { ':token': token },
      }),
    );
  }

  /** Frees the lease after a write that did not commit. */
  private async release(accountId: string, lease: Lease, skipIdsTo: number | undefined): Promise<void> {
    // Nothing was written and no older write left items behind: the ids
    // allocated to this write can be skipped instead of cleaned up later.
    const skip = skipIdsTo !== undefined && lease.committedHigh === lease.nextId;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: partitionKey(accountId), sk: META_SK },
        UpdateExpression: skip ? 'SET committedHigh = :high REMOVE lockToken, lockExpires' : 'REMOVE lockToken, lockExpires',
        ConditionExpression: 'lockToken = :token',
        ExpressionAttributeValues: { ':token': lease.token, ...(skip && { ':high': skipIdsTo }) },
      }),
    );
  }

  private async commitCreate(accountId: string, lease: Lease, reasons: StatusReason[], newIds: number, revision: number): Promise<void> {
    const pk = partitionKey(accountId);
    type Request = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];
    const requests: Request[] = [];
    // Items of writes that never committed: delete them before this commit makes their ids visible.
    for (let id = lease.committedHigh; id < lease.nextId; id++) requests.push({ DeleteRequest: { Key: { pk, sk: reasonSortKey(id) } } });
    for (const reason of reasons) {
      const item: ReasonItem = { pk, sk: reasonSortKey(reason.id), rev: revision, ...reason };
      requests.push({ PutRequest: { Item: item } });
    }
    const chunks: Request[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_SIZE) chunks.push(requests.slice(i, i + BATCH_SIZE));
    await Promise.all(chunks.map((chunk) => this.batchWrite(chunk, lease)));

    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk, sk: META_SK },
          UpdateExpression: COMMIT_CREATE.update,
          ConditionExpression: COMMIT_CREATE.condition,
          ExpressionAttributeValues: { ':revision': revision, ':high': lease.nextId + newIds, ':token': lease.token },
        }),
      );
    } catch (error) {
      throw this.commitFailure(error);
    }
  }

  private async commitReplace(accountId: string, lease: Lease, reason: StatusReason, revision: number): Promise<void> {
    const pk = partitionKey(accountId);
    this.checkLease(lease);
    const item: ReasonItem = { pk, sk: reasonSortKey(reason.id), rev: revision, ...reason };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk, sk: META_SK },
                UpdateExpression: 'SET revision = :revision REMOVE lockToken, lockExpires',
                ConditionExpression: 'lockToken = :token',
                ExpressionAttributeValues: { ':revision': revision, ':token': lease.token },
              },
            },
            { Put: { TableName: this.table, Item: item } },
          ],
        }),
      );
    } catch (error) {
      throw this.commitFailure(error);
    }
  }

  private commitFailure(error: unknown): unknown {
    if (isConditionFailure(error)) return busy('The write took too long and lost its turn; nothing was changed. Try again.');
    if (isThrottle(error)) return busy('The store stayed throttled; nothing was changed. Try again shortly.');
    return error;
  }

  private checkLease(lease: Lease): void {
    if (this.now() > lease.safeUntil) throw busy('The write took too long and lost its turn; nothing was changed. Try again.');
  }

  /** One BatchWriteItem chunk, retrying unprocessed items and throttled calls with backoff. */
  private async batchWrite(chunk: NonNullable<BatchWriteCommandInput['RequestItems']>[string], lease: Lease): Promise<void> {
    let pending = chunk;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt >= this.batchAttempts) throw busy('The store stayed throttled; nothing was changed. Try again shortly.');
      if (attempt) await sleep(backoffDelay(attempt, this.batchBackoff));
      this.checkLease(lease);
      const out = await this.callThrottled(() => this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } })));
      if (!out) {
        this.onEvent({ type: 'batch-retry', unprocessed: pending.length, attempt, throttled: true });
        continue;
      }
      pending = out.UnprocessedItems?.[this.table] ?? [];
      if (pending.length) this.onEvent({ type: 'batch-retry', unprocessed: pending.length, attempt, throttled: false });
    }
  }

  /** Runs a call; a throttling error (after the SDK's own retries) comes back as undefined. */
  private async callThrottled<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (isThrottle(error)) return undefined;
      throw error;
    }
  }

  private async queryAccount(accountId: string): Promise<{ meta: Meta; reasons: ReasonItem[] }> {
    let meta: Meta = toMeta(undefined);
    const reasons: ReasonItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let attempt = 0; ; ) {
      let out;
      try {
        out = await this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': partitionKey(accountId) },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        if (!isThrottle(error) || ++attempt >= this.batchAttempts) throw isThrottle(error) ? busy('The store stayed throttled; try again shortly.') : error;
        await sleep(backoffDelay(attempt, this.batchBackoff));
        continue;
      }
      for (const item of out.Items ?? []) {
        if (item.sk === META_SK) meta = toMeta(item);
        else reasons.push(item as ReasonItem);
      }
      startKey = out.LastEvaluatedKey;
      if (!startKey) return { meta, reasons };
    }
  }
}

/** The reasons a read may see: those of committed writes. */
function visible(items: ReasonItem[], meta: Meta): StoredReason[] {
  return items.filter((item) => item.id < meta.committedHigh).map((item) => toReason(item));
}

function stateOf(revision: number, reasons: StoredReason[], target: number | undefined): AccountState {
  const holders = new Map<string, number>();
  let liveCount = 0;
  let liveBytes = 0;
  let lowestOrder: number | undefined;
  for (const reason of reasons) {
    if (lowestOrder === undefined || reason.order < lowestOrder) lowestOrder = reason.order;
    if (reason.deleted) continue;
    liveCount++;
    liveBytes += wireSize(reason);
    holders.set(textKey(reason.text), reason.id);
  }
  return {
    revision,
    liveCount,
    liveBytes,
    lowestOrder,
    holderOf: (key) => holders.get(key),
    target: target === undefined ? undefined : reasons.find((r) => r.id === target),
  };
}
