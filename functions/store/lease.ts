// The account's write lease, and the line writers wait in for it. Every write
// holds the lease, so writes of one account run one at a time: each gets its own
// revision, one above the last, and the rules are judged on a state nobody else
// can change meanwhile. The lease lives in `#META`:
//
//   lockToken, lockExpires   who holds it, until when (it must outlast the holder's
//                            every call: a request's deadline is well inside it)
//   lockFrom                 the first id allocated to the holder (`nextId` is past its ids)
//   lockKey                  the holder's idempotency key: a repeat of it is told "in progress"
//   turn, turnSince,         the waiter whose turn is next, since when it waits, until
//   turnExpires              when the claim holds unless renewed
//   waiting                  token → until: the waiters, for the cap on how many may wait
//   fenced                   token → when: the writers that fenced their own lease (kept a
//                            minute), so that a fence whose answer was lost knows itself
//
// Waiters queue by age: a refused attempt shows who holds the next turn; a waiter
// claims it when nobody live does or a younger waiter does, and only the claimant
// (or anyone, when no live claim exists) may take the lease. Without this,
// newcomers (whose first tries come quickly) kept winning over writers that had
// waited long, until those gave up. A claim lapses unless renewed, so a waiter that
// dies holds the line up for at most `claimMs`; one that gives up hands it back.
//
// Lost answers: a take whose answer is lost is sent again and refused by its own
// first attempt; the refusal shows our token in `lockToken`, which is how a writer
// knows the lease is its own. Tokens are random, so only the writer that wrote one
// can see it there.
import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import { DeadlineExceeded, isConditionFailure, nothingChanged, refusedItem } from './errors.js';
import type { StoreEventListener } from './events.js';
import { META_SK, partitionKey, toMeta, type Meta } from './layout.js';
import { backoffDelay, sleep, type BackoffOptions, type Calls } from './retry.js';

/** What a conditional update of `#META` sets, removes and requires. */
export interface MetaUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** How a conditional update of `#META` ended: applied, or refused by its condition, which saw `seen`. */
export type MetaUpdateResult = { applied: true } | { applied: false; seen: Record<string, unknown> };

/** One conditional UpdateItem of an account's `#META` (any failure but a refused condition is thrown). */
export async function conditionalMetaUpdate(calls: Calls, table: string, accountId: string, update: MetaUpdate, deadline: number): Promise<MetaUpdateResult> {
  try {
    const command = new UpdateCommand({
      TableName: table,
      Key: { pk: partitionKey(accountId), sk: META_SK },
      ...update,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    await calls.send('UpdateItem', command, deadline);
    return { applied: true };
  } catch (error) {
    if (isConditionFailure(error)) return { applied: false, seen: plain(refusedItem(error)) ?? {} };
    throw error;
  }
}

/** One conditional UpdateItem of an account's `#META`: true when applied, false when its condition refused it. */
export const updateMeta = async (calls: Calls, table: string, accountId: string, update: MetaUpdate, deadline: number): Promise<boolean> =>
  (await conditionalMetaUpdate(calls, table, accountId, update, deadline)).applied;

/** A write's token: 96 random bits (short, since `#META` holds a few of them). */
export const newToken = () => randomBytes(12).toString('base64url');

/** Written into every layout-2 `#META` so that layout-1 code (which reads `nextUp`) can never take its lease. */
export const LEGACY_FENCE = { nextUp: 'layout-2', nextUpSince: 0, nextUpExpires: Number.MAX_SAFE_INTEGER } as const;

export interface LeaseOptions {
  /** How long a lease lasts; must exceed the longest request (the Lambda timeout). */
  leaseMs: number;
  /** How long a writer waits for another writer's lease before answering busy. */
  waitMs: number;
  /** How many writers may wait for one account at once; one more is refused at once (overloaded). */
  queueMax: number;
  /** How long a claim on the next turn, or a place among the waiters, holds unless renewed. */
  claimMs: number;
  /** Between tries of the waiter whose turn is next. */
  turnBackoff: BackoffOptions;
  /** Between the other waiters' tries. */
  queueBackoff: BackoffOptions;
}

export interface Lease {
  token: string;
  /** The account as the lease found it, `nextId` already past this write's ids. */
  meta: Meta;
  /** This write's ids are `firstId` … `firstId + n - 1`. */
  firstId: number;
  /** When the lease lapses (epoch ms): nothing of this write may be sent after it. */
  expires: number;
  /** `#META`'s `fenced` marks as the take found them (token → when), to prune old ones. */
  fenceMarks: Record<string, number> | undefined;
}

/** How long a fence's mark stays in `#META`: far longer than any resend of that fence. */
export const FENCE_MARK_MS = 60_000;

const marksOf = (item: Record<string, unknown> | undefined): Record<string, number> | undefined =>
  item?.fenced !== null && typeof item?.fenced === 'object' ? (item.fenced as Record<string, number>) : undefined;

interface Refusal {
  /** `#META` as the refused condition saw it. */
  item: Record<string, unknown> | undefined;
}

export class AccountLeases {
  constructor(
    private readonly calls: Calls,
    private readonly table: string,
    private readonly options: LeaseOptions,
    private readonly onEvent: StoreEventListener,
    private readonly now: () => number,
  ) {}

  /**
   * Takes the account's lease for a write that needs `newIds` ids, waiting in
   * line while another writer holds it. Throws DomainError `in_progress` when
   * the holder carries the same idempotency key, `overloaded` when the line is
   * full, `busy` when the wait runs out (nothing was written in each case).
   */
  async acquire(accountId: string, newIds: number, key: string | undefined, deadline: number): Promise<Lease> {
    const token = newToken();
    const started = this.now();
    const giveUpAt = Math.min(deadline, started + this.options.waitMs);
    let registeredUntil = 0; // our place among the waiters lapses then; 0: we hold none
    let claimUntil = 0; // our claim on the next turn lapses then; 0: we hold none
    try {
      for (let attempt = 0; ; attempt++) {
        const outcome = await this.tryTake(accountId, token, newIds, key, registeredUntil > 0, deadline);
        if ('token' in outcome) {
          this.onEvent({ type: 'lease-wait', accountId, waitedMs: this.now() - started, taken: true });
          registeredUntil = 0; // the take removed our place and claim
          claimUntil = 0;
          return outcome;
        }
        const item = outcome.item ?? {};
        if (key !== undefined && item.lockKey === key) {
          throw new DomainError('in_progress', 'A request with this idempotency key is still running; try again shortly.');
        }
        const now = this.now();
        if (registeredUntil < now + this.options.claimMs / 2) {
          registeredUntil = await this.register(accountId, token, item, registeredUntil > now, deadline);
        }
        const turn = typeof item.turn === 'string' ? { token: item.turn, since: Number(item.turnSince ?? 0), expires: Number(item.turnExpires ?? 0) } : undefined;
        if (turn && turn.token !== token && turn.expires >= now) claimUntil = 0; // someone else's turn
        const mayClaim = !turn || turn.expires < now || turn.token === token || turn.since > started;
        if (mayClaim && claimUntil < now + this.options.claimMs / 2) {
          claimUntil = (await this.claimTurn(accountId, token, started, deadline)) ? now + this.options.claimMs : 0;
        }
        const wait = backoffDelay(Math.min(attempt, 10), claimUntil > now ? this.options.turnBackoff : this.options.queueBackoff);
        if (this.now() + wait > giveUpAt) {
          this.onEvent({ type: 'lease-wait', accountId, waitedMs: this.now() - started, taken: false });
          throw new DomainError('busy', 'Other writes to this account kept it busy; nothing was changed. Try again shortly.');
        }
        await sleep(wait);
      }
    } catch (error) {
      if (registeredUntil > 0 || claimUntil > 0) await this.leaveLine(accountId, token, claimUntil > 0, deadline).catch(() => {});
      if (error instanceof DeadlineExceeded) {
        // Out of time while taking it: if that take may have landed, give it back.
        if (error.mayHaveApplied) await this.release(accountId, token, true, deadline + 500).catch(() => {});
        throw new DomainError('busy', nothingChanged(error));
      }
      throw error;
    }
  }

  /**
   * One attempt at the lease: it must be free (or lapsed), and the next turn ours
   * or nobody's. It allocates the write's ids (`lockFrom` = `nextId` before,
   * `nextId` past them), and, on a new account, writes the fence that keeps
   * layout-1 code out.
   */
  private async tryTake(accountId: string, token: string, newIds: number, key: string | undefined, registered: boolean, deadline: number): Promise<Lease | Refusal> {
    const now = this.now();
    const expires = now + this.options.leaseMs;
    const names: Record<string, string> = {};
    const set = [
      'lockToken = :token',
      'lockExpires = :expires',
      'lockFrom = if_not_exists(nextId, :one)',
      'nextId = if_not_exists(nextId, :one) + :n',
      'nextUp = if_not_exists(nextUp, :fence)',
      'nextUpSince = if_not_exists(nextUpSince, :zero)',
      'nextUpExpires = if_not_exists(nextUpExpires, :forever)',
    ];
    const remove = ['turn', 'turnSince', 'turnExpires'];
    if (key !== undefined) set.push('lockKey = :key');
    else remove.push('lockKey');
    if (registered) {
      names['#me'] = token;
      remove.push('waiting.#me');
    } else set.push('waiting = if_not_exists(waiting, :empty)');
    try {
      const out = await this.calls.send<{ Attributes?: Record<string, unknown> }>(
        'UpdateItem',
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partitionKey(accountId), sk: META_SK },
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          ConditionExpression: '(attribute_not_exists(lockToken) OR lockExpires < :now) AND (attribute_not_exists(turn) OR turn = :token OR turnExpires < :now)',
          ...(Object.keys(names).length && { ExpressionAttributeNames: names }),
          ExpressionAttributeValues: {
            ':token': token,
            ':expires': expires,
            ':one': 1,
            ':n': newIds,
            ':now': now,
            ':fence': LEGACY_FENCE.nextUp,
            ':zero': LEGACY_FENCE.nextUpSince,
            ':forever': LEGACY_FENCE.nextUpExpires,
            ...(key !== undefined && { ':key': key }),
            ...(!registered && { ':empty': {} }),
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        deadline,
      );
      const before = out.Attributes;
      if (before?.lockToken !== undefined) this.onEvent({ type: 'lease-taken-over', accountId });
      const old = toMeta(before);
      return { token, meta: { ...old, nextId: old.nextId + newIds }, firstId: old.nextId, expires, fenceMarks: marksOf(before) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = plain(refusedItem(error));
      if (item?.lockToken === token) {
        // Our own earlier attempt took it; its answer was lost.
        this.onEvent({ type: 'lost-answer-recovered', operation: 'UpdateItem' });
        const meta = toMeta(item);
        return { token, meta, firstId: Number(item.lockFrom), expires: Number(item.lockExpires), fenceMarks: marksOf(item) };
      }
      return { item };
    }
  }

  /**
   * Takes (or renews) a place among the waiters, unless `queueMax` live waiters
   * are there already: then the write is refused at once. Places that `item`
   * shows lapsed are removed in the same update.
   */
  private async register(accountId: string, token: string, item: Record<string, unknown>, renewing: boolean, deadline: number): Promise<number> {
    const now = this.now();
    const until = now + this.options.claimMs * 1.5;
    const waiting = (item.waiting ?? {}) as Record<string, number>;
    const lapsed = Object.entries(waiting)
      .filter(([other, t]) => other !== token && Number(t) < now)
      .map(([other]) => other)
      .slice(0, 20);
    const names: Record<string, string> = { '#me': token };
    lapsed.forEach((other, i) => (names[`#d${i}`] = other));
    const live = Object.keys(waiting).length - lapsed.length - (token in waiting ? 1 : 0);
    if (!renewing && live >= this.options.queueMax) {
      this.onEvent({ type: 'lease-queue-full', accountId, waiting: live });
      throw new DomainError('overloaded', `${live} writes already wait for this account; nothing was changed. Try again shortly.`);
    }
    if (item.waiting === undefined) return this.startLine(accountId, token, until, deadline);
    const outcome = await conditionalMetaUpdate(
      this.calls,
      this.table,
      accountId,
      {
        UpdateExpression: `SET waiting.#me = :until${lapsed.length ? ` REMOVE ${lapsed.map((_, i) => `waiting.#d${i}`).join(', ')}` : ''}`,
        // The cap counts the places as they are, less the lapsed ones removed here (which must still be there).
        ConditionExpression: ['(attribute_exists(waiting.#me) OR size(waiting) < :room)', ...lapsed.map((_, i) => `attribute_exists(waiting.#d${i})`)].join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':until': until, ':room': this.options.queueMax + lapsed.length },
      },
      deadline,
    );
    if (outcome.applied) return until;
    // The line filled up since `item` was read, or another waiter removed a lapsed place first.
    const count = Object.values((outcome.seen.waiting ?? {}) as Record<string, number>).filter((t) => Number(t) >= now).length;
    if (count >= this.options.queueMax) {
      this.onEvent({ type: 'lease-queue-full', accountId, waiting: count });
      throw new DomainError('overloaded', `${count} writes already wait for this account; nothing was changed. Try again shortly.`);
    }
    return 0; // try again on the next round
  }

  /** The first place in a line that has never been used (an account `#META` written before lines had places). */
  private async startLine(accountId: string, token: string, until: number, deadline: number): Promise<number> {
    const started = await this.update(
      accountId,
      { UpdateExpression: 'SET waiting = :mine', ConditionExpression: 'attribute_not_exists(waiting)', ExpressionAttributeValues: { ':mine': { [token]: until } } },
      deadline,
    );
    return started ? until : 0; // else someone else started it: take a place on the next round
  }

  /** Claims (or renews) the next turn unless a live claim of an older waiter stands. */
  private async claimTurn(accountId: string, token: string, waitingSince: number, deadline: number): Promise<boolean> {
    const now = this.now();
    return this.update(
      accountId,
      {
        UpdateExpression: 'SET turn = :token, turnSince = :since, turnExpires = :expires',
        ConditionExpression: 'attribute_not_exists(turn) OR turn = :token OR turnExpires < :now OR turnSince > :since',
        ExpressionAttributeValues: { ':token': token, ':since': waitingSince, ':expires': now + this.options.claimMs, ':now': now },
      },
      deadline,
    );
  }

  /** A waiter that gives up leaves the line (and hands back its turn), so the line moves on at once. */
  private async leaveLine(accountId: string, token: string, hadTurn: boolean, deadline: number): Promise<void> {
    await this.update(
      accountId,
      { UpdateExpression: 'REMOVE waiting.#me', ConditionExpression: 'attribute_exists(waiting)', ExpressionAttributeNames: { '#me': token } },
      deadline + 500,
    );
    if (hadTurn) {
      await this.update(
        accountId,
        { UpdateExpression: 'REMOVE turn, turnSince, turnExpires', ConditionExpression: 'turn = :token', ExpressionAttributeValues: { ':token': token } },
        deadline + 500,
      );
    }
  }

  /**
   * Settles a commit whose answer never came, for good: frees the lease on
   * condition that it is still `lease`'s. Applied: the commit was not, and never
   * can be (it needs the lease). Refused: the lease is gone, and only the commit
   * can have freed it (a lease cannot lapse while its writer still sends) —
   * unless this very update was applied before and its answer lost, which its
   * mark in `fenced` (kept FENCE_MARK_MS) tells. Returns whether the commit was
   * applied; throws DeadlineExceeded when the fence got no definite answer.
   */
  async fence(accountId: string, lease: Lease, giveBack: boolean, deadline: number): Promise<boolean> {
    const now = this.now();
    const names: Record<string, string> = { '#me': lease.token };
    // Only the lease's holder writes `fenced`, so the take's view of it still holds.
    const stale = Object.entries(lease.fenceMarks ?? {}).filter(([, at]) => Number(at) < now - FENCE_MARK_MS);
    stale.forEach(([token], i) => (names[`#old${i}`] = token));
    const set = [lease.fenceMarks ? 'fenced.#me = :now' : 'fenced = :mine', ...(giveBack ? ['nextId = lockFrom'] : [])];
    const remove = ['lockToken', 'lockExpires', 'lockFrom', 'lockKey', ...stale.map((_, i) => `fenced.#old${i}`)];
    const outcome = await conditionalMetaUpdate(
      this.calls,
      this.table,
      accountId,
      {
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ConditionExpression: 'lockToken = :token',
        ...(lease.fenceMarks && { ExpressionAttributeNames: names }),
        ExpressionAttributeValues: { ':token': lease.token, ...(lease.fenceMarks ? { ':now': now } : { ':mine': { [lease.token]: now } }) },
      },
      deadline,
    );
    if (outcome.applied) return false;
    const ownFence = marksOf(outcome.seen)?.[lease.token] !== undefined;
    if (!ownFence) this.onEvent({ type: 'lost-answer-recovered', operation: 'TransactWriteItems' });
    return !ownFence;
  }

  /**
   * Frees the lease of a write that did not commit. `giveBack`: the write wrote
   * nothing, so its ids are handed back (`nextId` returns to `lockFrom`) rather
   * than left for a later write to clean up. A refused condition means the
   * lease is no longer ours (it lapsed and was taken): nothing to free.
   */
  async release(accountId: string, token: string, giveBack: boolean, deadline: number): Promise<boolean> {
    return this.update(accountId, releaseUpdate(token, giveBack), deadline);
  }

  private update(accountId: string, update: MetaUpdate, deadline: number): Promise<boolean> {
    return updateMeta(this.calls, this.table, accountId, update, deadline);
  }
}

/** Frees a lease on condition that it is `token`'s (and, with `giveBack`, hands its ids back). */
export const releaseUpdate = (token: string, giveBack: boolean): MetaUpdate => ({
  UpdateExpression: `${giveBack ? 'SET nextId = lockFrom ' : ''}REMOVE lockToken, lockExpires, lockFrom, lockKey`,
  ConditionExpression: 'lockToken = :token',
  ExpressionAttributeValues: { ':token': token },
});

/**
 * An item a refused condition returned. The document client leaves it in
 * DynamoDB's attribute-value form (aws-sdk-js-v3 #6723); plain values are kept
 * as they are, should a later version unmarshall it.
 */
export function plain(item: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!item) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) out[name] = fromAttribute(value);
  return out;
}

function fromAttribute(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.length !== 1) return value;
  const [type] = keys as [string];
  const inner = v[type];
  switch (type) {
    case 'S':
      return inner;
    case 'N':
      return Number(inner);
    case 'BOOL':
      return inner;
    case 'NULL':
      return null;
    case 'M':
      return plain(inner as Record<string, unknown>);
    case 'L':
      return (inner as unknown[]).map(fromAttribute);
    case 'SS':
      return new Set(inner as string[]);
    case 'NS':
      return new Set((inner as string[]).map(Number));
    default:
      return value;
  }
}
