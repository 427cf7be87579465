// The account's write lease, and the line writers wait in for it. Every write
// holds the lease, so writes of one account run one at a time: each gets its own
// revision, one above the last, and the rules are judged on a state nobody else
// can change meanwhile. The lease lives in `#META`:
//
//   lockToken, lockExpires   who holds it, until when (it must outlast the holder's
//                            every call: a request's deadline is well inside it)
//   lockFrom, lockN          the holder's ids: lockFrom … lockFrom + lockN - 1 (`nextId`
//                            stays at lockFrom until the holder commits or gives them up)
//   lockKey                  the holder's idempotency key ('' for none): a repeat of it is
//                            told "in progress"
//   lockSince                when the holder got it, and `holdMs` how long holds take
//                            (kept by the commits): waiters time their reads by them
//   line                     token → [since, until, deadline, ids, key]: the writers that
//                            wait, each written once, when it arrives
//   fenced                   token → when: the writers that fenced their own lease (kept a
//                            minute), so that a fence whose answer was lost knows itself
//
// A writer first tries to take the lease alone (one conditional UpdateItem: nobody
// holds it, nobody waits). Refused, or when writers met on the account just now,
// it arrives: one UpdateItem that always applies (unless the line is full) and
// puts the writer in the line and, when nobody holds the lease, makes it the
// holder (`if_not_exists` on each lock attribute). A waiter never writes to
// `#META` while it waits: it reads `#META` (GetItem) when its turn should have
// come, by its place in the line and the holds' length. The holder hands the
// lease on in its commit: the oldest live waiter it knows of becomes the holder
// (its ids allocated, its key set), so the next write starts as soon as it reads
// that it holds it. Only when the lease is free (nobody was handed it) or lapsed
// does a waiter write to take it, and only the oldest live one. DynamoDB refuses
// a single write to an item of a transaction in flight (TransactionConflict), and
// `#META` is in every commit: waiters that wrote to it while they waited would
// both pay for those writes and hold the commits up.
//
// Lost answers: an arrival or take whose answer is lost is sent again; the
// lease's token shows whether an earlier attempt made this writer the holder.
// Tokens are random, so only the writer that wrote one can see it there.
import { randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import { DeadlineExceeded, isConditionFailure, nothingChanged, refusedItem } from './errors.js';
import type { StoreEventListener } from './events.js';
import { META_SK, partitionKey, toMeta, type Meta } from './layout.js';
import { sleep, type Calls } from './retry.js';

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

export interface LeaseOptions {
  /** How long a lease lasts; must exceed the longest request (the Lambda timeout). */
  leaseMs: number;
  /** How long a writer waits for another writer's lease before answering busy. */
  waitMs: number;
  /** How many writers may wait for one account at once; one more is refused at once (overloaded). */
  queueMax: number;
  /** The shortest and longest pause between a waiter's reads of `#META`. */
  pollMinMs: number;
  pollMaxMs: number;
  /** The longest pause between reads of the waiter next in line. */
  pollNextMaxMs: number;
}

/** A writer in the line, as `#META.line` holds it. */
export interface Waiter {
  token: string;
  /** When it arrived (epoch ms): the line's order. */
  since: number;
  /** When it gives up waiting: it is not handed the lease after that. */
  until: number;
  /** Its request's deadline: a lease handed to it lapses soon after. */
  deadline: number;
  /** How many ids it needs. */
  ids: number;
  /** Its idempotency key, '' for none. */
  key: string;
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
  /** The line as this writer last read it: whom its commit hands the lease to. */
  line: Waiter[];
  /** When this writer found the lease its own (epoch ms), and how long holds took until then: for `holdMs`. */
  since: number;
  holdMs: number | undefined;
  /** Whether the writer had to wait for it. */
  waited: boolean;
}

/** How long a fence's mark stays in `#META`: far longer than any resend of that fence. */
export const FENCE_MARK_MS = 60_000;
/** A waiter is handed the lease only if it still waits this long: one that is about to give up is skipped. */
const HANDOVER_MARGIN_MS = 100;
/** Places of waiters that gave up this long ago (and died, since they did not leave) are removed by the next commit. */
const LAPSED_GRACE_MS = 1_000;
/** A first guess at how long a hold takes, before any commit measured one. */
const DEFAULT_HOLD_MS = 30;

const marksOf = (item: Record<string, unknown> | undefined): Record<string, number> | undefined =>
  item?.fenced !== null && typeof item?.fenced === 'object' ? (item.fenced as Record<string, number>) : undefined;

/** The line as `#META` holds it, oldest first. */
export function lineOf(item: Record<string, unknown> | undefined): Waiter[] {
  const line = item?.line;
  if (line === null || typeof line !== 'object') return [];
  const waiters: Waiter[] = [];
  for (const [token, value] of Object.entries(line as Record<string, unknown>)) {
    if (!Array.isArray(value)) continue;
    const [since, until, deadline, ids, key] = value as unknown[];
    waiters.push({ token, since: Number(since), until: Number(until), deadline: Number(deadline), ids: Number(ids), key: String(key ?? '') });
  }
  return waiters.sort((a, b) => a.since - b.since || (a.token < b.token ? -1 : 1));
}

const entryOf = (w: Waiter) => [w.since, w.until, w.deadline, w.ids, w.key];

/**
 * Whether the lease was handed to a writer that had already left the line (a
 * holder keeps its place until it commits; one that leaves is never the holder
 * then): nobody will use it, so the oldest live waiter may take it at once.
 */
const orphaned = (view: Record<string, unknown>): boolean =>
  typeof view.lockToken === 'string' && !lineOf(view).some((w) => w.token === view.lockToken);

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** What a commit (or a release) does to the lease: hand it to the next waiter, or free it. */
export interface LeaseEnd {
  set: string[];
  remove: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
  /** The waiter handed the lease, if any. */
  next: Waiter | undefined;
}

/**
 * Ends `lease` (its ids used up to `nextId`): hands it to the oldest waiter of
 * its line still waiting, or frees it; removes its own place and the places of
 * waiters long gone. Names and values are prefixed `#l`/`:l` to sit beside a
 * commit's own.
 */
export function endLease(lease: Pick<Lease, 'token' | 'line'>, nextId: number | undefined, now: number, leaseMs: number): LeaseEnd {
  const names: Record<string, string> = { '#lme': lease.token };
  const values: Record<string, unknown> = {};
  const set: string[] = [];
  const remove = ['line.#lme'];
  const next = lease.line.find((w) => w.token !== lease.token && w.until > now + HANDOVER_MARGIN_MS);
  if (nextId !== undefined) {
    set.push('nextId = :lnext');
    values[':lnext'] = nextId;
  }
  if (next) {
    // Its ids follow the last allocated; its lease lasts as long as its request may run.
    set.push('lockToken = :ltoken', 'lockExpires = :lexpires', 'lockFrom = nextId', 'lockN = :ln', 'lockKey = :lkey', 'lockSince = :lnow');
    if (nextId !== undefined) set[set.indexOf('lockFrom = nextId')] = 'lockFrom = :lnext';
    Object.assign(values, { ':ltoken': next.token, ':lexpires': Math.min(now + leaseMs, next.deadline + 1_000), ':ln': next.ids, ':lkey': next.key, ':lnow': now });
  } else {
    remove.push('lockToken', 'lockExpires', 'lockFrom', 'lockN', 'lockKey', 'lockSince');
  }
  const gone = lease.line.filter((w) => w.token !== lease.token && w.until < now - LAPSED_GRACE_MS).slice(0, 10);
  gone.forEach((w, i) => {
    names[`#lgone${i}`] = w.token;
    remove.push(`line.#lgone${i}`);
  });
  return { set, remove, names, values, next };
}

interface Seen {
  /** `#META` as an update or read saw it. */
  view: Record<string, unknown>;
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
   * `contended`: writers met on this account just now (skip the take that
   * expects to be alone).
   */
  async acquire(accountId: string, newIds: number, key: string | undefined, deadline: number, contended = false): Promise<Lease> {
    const token = newToken();
    const started = this.now();
    // A waiter stops waiting while a turn could still be used: its read and commit need time too.
    const giveUpAt = Math.min(deadline - Math.min(1_000, (deadline - started) / 4), started + this.options.waitMs);
    const me: Waiter = { token, since: started, until: giveUpAt, deadline, ids: newIds, key: key ?? '' };
    let inLine = false;
    try {
      // Where writers rarely meet, one conditional take (it works on an account never written to);
      // where they just met, arriving at once saves the refused take.
      const arrival = (contended ? undefined : await this.takeIfAlone(accountId, me, deadline)) ?? (await this.arrive(accountId, me, deadline));
      if ('token' in arrival) {
        this.onEvent({ type: 'lease-wait', accountId, waitedMs: 0, taken: true });
        return arrival;
      }
      inLine = true;
      let view = arrival.view;
      for (;;) {
        const now = this.now();
        if (view.lockToken === token) {
          // Handed over by the writer before: the lease, its ids and its view of the line are ours.
          this.onEvent({ type: 'lease-wait', accountId, waitedMs: now - started, taken: true });
          return this.leaseFrom(view, token, Number(view.lockFrom), Number(view.lockExpires), now, true);
        }
        if (key !== undefined && view.lockKey === key) {
          throw new DomainError('in_progress', 'A request with this idempotency key is still running; try again shortly.');
        }
        const lapsed = view.lockToken !== undefined && (Number(view.lockExpires) < now || orphaned(view));
        if ((view.lockToken === undefined || lapsed) && this.oldestLive(view, token, now)) {
          const taken = await this.takeFree(accountId, me, view, deadline);
          if ('token' in taken) {
            this.onEvent({ type: 'lease-wait', accountId, waitedMs: this.now() - started, taken: true });
            return taken;
          }
          view = taken.view;
          continue;
        }
        if (now >= giveUpAt) {
          this.onEvent({ type: 'lease-wait', accountId, waitedMs: now - started, taken: false });
          throw new DomainError('busy', 'Other writes to this account kept it busy; nothing was changed. Try again shortly.');
        }
        await sleep(Math.max(1, Math.min(this.pollDelay(view, token, now), giveUpAt - now)));
        view = await this.look(accountId, deadline);
      }
    } catch (error) {
      const mayHaveArrived = error instanceof DeadlineExceeded && error.mayHaveApplied;
      if (inLine || mayHaveArrived) await this.leave(accountId, token, deadline + 500).catch(() => {});
      if (error instanceof DeadlineExceeded) throw new DomainError('busy', nothingChanged(error));
      throw error;
    }
  }

  /** Whether `token` is the oldest waiter of the line still waiting (the lease is free: it may take it). */
  private oldestLive(view: Record<string, unknown>, token: string, now: number): boolean {
    const live = lineOf(view).filter((w) => w.token !== view.lockToken && (w.until >= now || w.token === token));
    return live[0]?.token === token;
  }

  /**
   * How long until this waiter's turn should have come: what remains of the
   * current hold, and one hold per waiter ahead of it. Reading `#META` at that
   * moment (not before, not often) keeps the reads per write near one.
   */
  private pollDelay(view: Record<string, unknown>, token: string, now: number): number {
    const hold = Math.min(Math.max(num(view.holdMs) ?? DEFAULT_HOLD_MS, 2), 1_000);
    const ahead = lineOf(view).filter((w) => w.token !== token && w.token !== view.lockToken && w.until >= now);
    const mine = lineOf(view).find((w) => w.token === token);
    const before = mine ? ahead.filter((w) => w.since < mine.since || (w.since === mine.since && w.token < token)).length : ahead.length;
    if (view.lockToken === undefined) return this.options.pollMinMs + before * hold; // free: the oldest takes it now
    const held = now - (num(view.lockSince) ?? now);
    const current = Math.max(hold - held, hold / 4);
    // The next in line reads often: a lease handed to it lies idle until it reads.
    const most = before === 0 ? this.options.pollNextMaxMs : this.options.pollMaxMs;
    return Math.min(Math.max(current + before * hold, this.options.pollMinMs), most);
  }

  /** `#META`, read (never written) by a waiter. */
  private async look(accountId: string, deadline: number): Promise<Record<string, unknown>> {
    const out = await this.calls.send<{ Item?: Record<string, unknown> }>(
      'GetItem',
      new GetCommand({ TableName: this.table, Key: { pk: partitionKey(accountId), sk: META_SK }, ConsistentRead: true }),
      deadline,
    );
    return out.Item ?? {};
  }

  /** The lease as `view` shows it ours; `since`: when this writer found it ours (its hold, for `holdMs`, starts then). */
  private leaseFrom(view: Record<string, unknown>, token: string, firstId: number, expires: number, since: number, waited: boolean): Lease {
    const ids = Number(view.lockN ?? 0);
    const meta = toMeta(view);
    return {
      token,
      meta: { ...meta, nextId: firstId + ids },
      firstId,
      expires,
      fenceMarks: marksOf(view),
      line: lineOf(view),
      since,
      holdMs: num(view.holdMs),
      waited,
    };
  }

  /**
   * Arrives: takes a place in the line and, when nobody holds the lease, the
   * lease (each lock attribute set only if absent). Refused only when the line
   * is full (overloaded) or the holder carries this write's key (in progress).
   */
  private async arrive(accountId: string, me: Waiter, deadline: number, lapsed: string[] = [], fresh = false): Promise<Lease | Seen> {
    const now = this.now();
    const expires = now + this.options.leaseMs;
    const names: Record<string, string> = { '#me': me.token };
    lapsed.forEach((t, i) => (names[`#d${i}`] = t));
    const conditions = ['(size(line) < :room OR attribute_exists(line.#me))', ...lapsed.map((_, i) => `attribute_exists(line.#d${i})`)];
    if (me.key) conditions.push('(attribute_not_exists(lockKey) OR lockKey <> :key OR lockToken = :token)');
    let old: Record<string, unknown> | undefined;
    try {
      const out = await this.calls.send<{ Attributes?: Record<string, unknown> }>(
        'UpdateItem',
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partitionKey(accountId), sk: META_SK },
          UpdateExpression:
            'SET lockToken = if_not_exists(lockToken, :token), lockExpires = if_not_exists(lockExpires, :expires), lockFrom = if_not_exists(lockFrom, nextId), ' +
            'lockN = if_not_exists(lockN, :n), lockKey = if_not_exists(lockKey, :key), lockSince = if_not_exists(lockSince, :now), line.#me = :entry' +
            (lapsed.length ? ` REMOVE ${lapsed.map((_, i) => `line.#d${i}`).join(', ')}` : ''),
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':token': me.token,
            ':expires': expires,
            ':n': me.ids,
            ':key': me.key,
            ':now': now,
            ':entry': entryOf(me),
            // The holder keeps its place until it commits: it is not one of the waiters the cap counts.
            ':room': this.options.queueMax + 1 + lapsed.length,
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        deadline,
      );
      old = out.Attributes ?? {};
    } catch (error) {
      const invalid = (error as { name?: string }).name === 'ValidationException';
      if (!invalid && !isConditionFailure(error)) throw error;
      const seen = invalid ? undefined : plain(refusedItem(error));
      if (!fresh && (invalid || seen?.line === undefined || seen?.nextId === undefined)) {
        // An account never written to, or whose `#META` predates the line: give it both, then arrive.
        await this.prepare(accountId, deadline);
        return this.arrive(accountId, me, deadline, [], true);
      }
      if (invalid) throw error;
      if (seen!.lockToken === me.token) return this.ownEarlierAttempt(seen!, me.token, now);
      if (me.key && seen!.lockKey === me.key) throw new DomainError('in_progress', 'A request with this idempotency key is still running; try again shortly.');
      const waiters = lineOf(seen).filter((w) => w.token !== seen!.lockToken);
      const gone = waiters.filter((w) => w.until < now).map((w) => w.token);
      const live = waiters.length - gone.length;
      if (live >= this.options.queueMax || lapsed.length || !gone.length) {
        this.onEvent({ type: 'lease-queue-full', accountId, waiting: live });
        throw new DomainError('overloaded', `${live} writes already wait for this account; nothing was changed. Try again shortly.`);
      }
      // Full only of places whose writers gave up long ago (and died): arrive again, removing them.
      return this.arrive(accountId, me, deadline, gone.slice(0, 20), true);
    }
    if (old.lockToken === me.token) return this.ownEarlierAttempt(old, me.token, now);
    if (old.lockToken === undefined) {
      // Nobody held it: this arrival made us the holder, with the ids from `nextId` on.
      const view = { ...old, lockN: me.ids, holdMs: old.holdMs };
      return this.leaseFrom(view, me.token, Number(old.nextId), expires, now, false);
    }
    const view = { ...old, line: { ...((old.line as Record<string, unknown>) ?? {}), [me.token]: entryOf(me) } };
    return { view };
  }

  /**
   * Takes the lease if nobody holds it and nobody waits, as one conditional
   * update that also works on an account never written to. Undefined when
   * refused for another writer: then the writer arrives in line.
   */
  private async takeIfAlone(accountId: string, me: Waiter, deadline: number): Promise<Lease | undefined> {
    const now = this.now();
    const expires = now + this.options.leaseMs;
    try {
      const out = await this.calls.send<{ Attributes?: Record<string, unknown> }>(
        'UpdateItem',
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partitionKey(accountId), sk: META_SK },
          UpdateExpression:
            'SET lockToken = :token, lockExpires = :expires, lockFrom = if_not_exists(nextId, :one), nextId = if_not_exists(nextId, :one), ' +
            'lockN = :n, lockKey = :key, lockSince = :now, line = :mine',
          ConditionExpression: 'attribute_not_exists(lockToken) AND (attribute_not_exists(line) OR size(line) = :zero)',
          // The holder keeps a place in the line until it commits, as every holder does (see `orphaned`).
          ExpressionAttributeValues: { ':token': me.token, ':expires': expires, ':one': 1, ':n': me.ids, ':key': me.key, ':now': now, ':mine': { [me.token]: entryOf(me) }, ':zero': 0 },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        deadline,
      );
      const old = out.Attributes ?? {};
      return this.leaseFrom({ ...old, lockN: me.ids }, me.token, num(old.nextId) ?? 1, expires, now, false);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const seen = plain(refusedItem(error)) ?? {};
      if (seen.lockToken === me.token) return this.ownEarlierAttempt(seen, me.token, now);
      if (me.key && seen.lockKey === me.key) throw new DomainError('in_progress', 'A request with this idempotency key is still running; try again shortly.');
      return undefined;
    }
  }

  /** An earlier attempt of this very update made us the holder; its answer was lost. */
  private ownEarlierAttempt(item: Record<string, unknown>, token: string, now: number): Lease {
    this.onEvent({ type: 'lost-answer-recovered', operation: 'UpdateItem' });
    return this.leaseFrom(item, token, Number(item.lockFrom), Number(item.lockExpires), now, false);
  }

  /** Gives a `#META` what arriving needs: `nextId` and the line. */
  private async prepare(accountId: string, deadline: number): Promise<void> {
    await this.calls.send(
      'UpdateItem',
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: partitionKey(accountId), sk: META_SK },
        UpdateExpression: 'SET nextId = if_not_exists(nextId, :one), line = if_not_exists(line, :empty)',
        ExpressionAttributeValues: { ':one': 1, ':empty': {} },
      }),
      deadline,
    );
  }

  /**
   * Takes a lease that nobody holds (or whose holder let it lapse) as the oldest
   * waiter, on condition that `#META` is still as `view` showed it.
   */
  private async takeFree(accountId: string, me: Waiter, view: Record<string, unknown>, deadline: number): Promise<Lease | Seen> {
    const now = this.now();
    const expires = now + this.options.leaseMs;
    const lapsedHolder = view.lockToken !== undefined ? String(view.lockToken) : undefined;
    // A lapsed holder's ids may hold its items: skip them (they become a dirty range at the commit).
    const firstId = lapsedHolder ? Number(view.lockFrom) + Number(view.lockN ?? 0) : Number(view.nextId ?? 1);
    const condition = lapsedHolder
      ? 'lockToken = :was AND (lockExpires < :now OR attribute_not_exists(line.#was)) AND lockFrom = :wasFrom AND attribute_exists(line.#me)'
      : 'attribute_not_exists(lockToken) AND nextId = :from AND attribute_exists(line.#me)';
    try {
      await this.calls.send(
        'UpdateItem',
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partitionKey(accountId), sk: META_SK },
          UpdateExpression: 'SET lockToken = :token, lockExpires = :expires, lockFrom = :from, lockN = :n, lockKey = :key, lockSince = :now, nextId = :from',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#me': me.token, ...(lapsedHolder && { '#was': lapsedHolder }) },
          ExpressionAttributeValues: {
            ':token': me.token,
            ':expires': expires,
            ':from': firstId,
            ':n': me.ids,
            ':key': me.key,
            ':now': now,
            ...(lapsedHolder && { ':was': lapsedHolder, ':wasFrom': Number(view.lockFrom) }),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        deadline,
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const seen = plain(refusedItem(error)) ?? {};
      if (seen.lockToken === me.token) return this.ownEarlierAttempt(seen, me.token, now);
      return { view: seen };
    }
    if (lapsedHolder && Number(view.lockExpires) < now) this.onEvent({ type: 'lease-taken-over', accountId });
    return this.leaseFrom({ ...view, lockN: me.ids }, me.token, firstId, expires, now, true);
  }

  /**
   * A waiter that gives up leaves the line. If it was handed the lease at the
   * last moment, it hands it on (or frees it), having written nothing.
   */
  private async leave(accountId: string, token: string, deadline: number): Promise<void> {
    const outcome = await conditionalMetaUpdate(
      this.calls,
      this.table,
      accountId,
      {
        UpdateExpression: 'REMOVE line.#me',
        ConditionExpression: 'attribute_exists(line) AND (attribute_not_exists(lockToken) OR lockToken <> :token)',
        ExpressionAttributeNames: { '#me': token },
        ExpressionAttributeValues: { ':token': token },
      },
      deadline,
    );
    if (!outcome.applied && outcome.seen.lockToken === token) await this.release(accountId, { token, line: lineOf(outcome.seen) }, true, deadline);
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
    // Ids that reached the table are never handed out again: `nextId` moves past them.
    const set = [lease.fenceMarks ? 'fenced.#me = :now' : 'fenced = :mine', ...(giveBack ? [] : ['nextId = lockFrom + lockN'])];
    const remove = ['lockToken', 'lockExpires', 'lockFrom', 'lockN', 'lockKey', 'lockSince', 'line.#me', ...stale.map((_, i) => `fenced.#old${i}`)];
    const outcome = await conditionalMetaUpdate(
      this.calls,
      this.table,
      accountId,
      {
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ConditionExpression: 'lockToken = :token',
        ExpressionAttributeNames: names,
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
   * Ends the lease of a write that did not commit, handing it to the next waiter
   * of `lease.line` (or freeing it). `giveBack`: the write wrote nothing, so its
   * ids are handed back (`nextId` stays where it is); otherwise `nextId` moves
   * past them, to be cleaned up by a later write. A refused condition means the
   * lease is no longer ours (it lapsed and was taken): nothing to end.
   */
  async release(accountId: string, lease: Pick<Lease, 'token' | 'line'>, giveBack: boolean, deadline: number): Promise<boolean> {
    const end = endLease(lease, undefined, this.now(), this.options.leaseMs);
    // The next holder's ids start where this one's would have ended, or where they began.
    const nextId = giveBack ? 'lockFrom' : 'lockFrom + lockN';
    const set = [`nextId = ${nextId}`, ...end.set.map((s) => (s === 'lockFrom = nextId' ? `lockFrom = ${nextId}` : s))];
    return updateMeta(
      this.calls,
      this.table,
      accountId,
      {
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${end.remove.join(', ')}`,
        ConditionExpression: 'lockToken = :token',
        ExpressionAttributeNames: end.names,
        ExpressionAttributeValues: { ...end.values, ':token': lease.token },
      },
      deadline,
    );
  }
}

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
