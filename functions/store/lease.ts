// Taking an account's write lease, and waiting for it in line. Every write
// holds the lease, so writes of one account run one at a time: each gets its own
// revision, one above the last, and the rules are judged on a state nobody else
// can change meanwhile (what the lease looks like in `#META`: lease-line.ts).
// A writer first tries to take the lease alone (one conditional UpdateItem:
// nobody holds it, nobody waits). Refused, or when writers met on the account
// just now, it arrives: one UpdateItem that always applies (unless the line is
// full) and puts the writer in the line and, when nobody holds the lease, makes
// it the holder (`if_not_exists` on each lock attribute). A waiter never writes
// to `#META` while it waits: it sleeps until its turn should have come (what is
// left of the current turn, and one turn per waiter ahead of it) and reads
// `#META` then; the next in line reads it together with what its write will
// read (one TransactGetItems), so that the read that shows it the lease is
// also its write's read. The holder hands the lease on in its commit
// (lease-end.ts); only when the lease is free (nobody was handed it) or lapsed
// does a waiter write to take it, and only the oldest live one. DynamoDB
// refuses a single write to an item of a transaction in flight
// (TransactionConflict), and `#META` is in every commit: waiters that wrote to
// it while they waited would both pay for those writes and hold commits up.
//
// A small create that waits carries its request in its place, and the holder
// may commit it with its own write (group commit, group.ts): such a waiter
// learns from a read of `#META` that its place is gone and finds its answer
// there or in the history; when it gives up, it leaves only if its place is
// still there.
//
// Lost answers: an arrival or take whose answer is lost is sent again; the
// lease's token shows whether an earlier attempt made this writer the holder.
// Tokens are random, so only the writer that wrote one can see it there.
import { GetCommand, TransactGetCommand, UpdateCommand } from '../aws/dynamodb.js';
import { DomainError } from '../domain/errors.js';
import type { WriteOutcome } from '../domain/store.js';
import { DeadlineExceeded, isConditionFailure, nothingChanged, OUTCOME_UNKNOWN_MESSAGE, refusedItem } from './errors.js';
import { answerFromHistory, answerIn, judged, type Answered, type Intent } from './group.js';
import type { StoreEventListener } from './events.js';
import { META_SK, partitionKey, toMeta } from './layout.js';
import { fenceLease, leaveLine, releaseLease, type LeaseContext } from './lease-end.js';
import { DEFAULT_HOLD_MS, encodePlace, keyTag, lineOf, marksOf, newToken, num, orphaned, plain, type Lease, type LeaseOptions, type Waiter } from './lease-line.js';
import { sleep, type Calls } from './retry.js';

export { endLease, FENCE_MARK_MS, type LeaseEnd } from './lease-end.js';
export {
  conditionalMetaUpdate,
  keyTag,
  lineOf,
  newToken,
  nextHoldMs,
  plain,
  updateMeta,
  type Lease,
  type LeaseOptions,
  type MetaUpdate,
  type MetaUpdateResult,
  type Waiter,
} from './lease-line.js';

/** A refusal found in `#META` as `view` shows it: it carries the account's revision there (SPEC §1: ac-revision). */
function refusal(kind: 'in_progress' | 'overloaded' | 'busy', message: string, view: Record<string, unknown>): DomainError {
  const error = new DomainError(kind, message);
  error.revision = num(view.revision) ?? 0;
  return error;
}

const IN_PROGRESS = 'A request with this idempotency key is still running; try again shortly.';

interface Seen {
  /** `#META` as an update or read saw it. */
  view: Record<string, unknown>;
  /** Items read in one snapshot with `view` (see `Lease.along`). */
  along?: Array<Record<string, unknown> | undefined>;
  /** The snapshot read was cancelled (a write of one of its items in flight): the next read is a plain one. */
  cancelled?: boolean;
}

export class AccountLeases {
  private readonly ctx: LeaseContext;

  constructor(
    private readonly calls: Calls,
    private readonly table: string,
    private readonly options: LeaseOptions,
    private readonly onEvent: StoreEventListener,
    private readonly now: () => number,
  ) {
    this.ctx = { calls, table, options, onEvent, now };
  }

  /**
   * Takes the account's lease for a write that needs `newIds` ids, waiting in
   * line while another writer holds it. Throws DomainError `in_progress` when
   * the holder carries the same idempotency key, `overloaded` when the line is
   * full, `busy` when the wait runs out (nothing was written in each case).
   * `contended`: writers met on this account just now (skip the take that
   * expects to be alone). `along`: sort keys of the account's items the write
   * will read under the lease; a waiter next in line reads them with `#META`
   * and hands them back in `Lease.along` when that read showed it the lease.
   */
  async acquire(
    accountId: string,
    newIds: number,
    key: string | undefined,
    deadline: number,
    contended = false,
    along: readonly string[] = [],
    intent?: Intent,
  ): Promise<Lease | Answered> {
    const token = newToken();
    const tag = keyTag(key);
    const started = this.now();
    // A waiter stops waiting while a turn could still be used: its read and commit need time too.
    const giveUpAt = Math.min(deadline - Math.min(1_000, (deadline - started) / 4), started + this.options.waitMs);
    const me: Waiter = { token, since: started, until: giveUpAt, deadline, ids: newIds, key: tag, ...(intent && { group: intent.buckets, command: intent.command }) };
    let inLine = false;
    // Whether a holder may judge this write: its place (once it arrives: an arrival whose answer was lost may have) carries its create.
    const grouped = intent !== undefined;
    // The account's revision when it arrived: its history entry, if a holder carried it, comes after.
    let arrivedAt = 0;
    try {
      // Where writers rarely meet, one conditional take (it works on an account never written to);
      // where they just met, arriving at once saves the refused take.
      const arrival = (contended ? undefined : await this.takeIfAlone(accountId, me, deadline)) ?? (await this.arrive(accountId, me, deadline));
      if ('token' in arrival) {
        this.onEvent({ type: 'lease-wait', accountId, waitedMs: 0, taken: true });
        return arrival;
      }
      inLine = true;
      let seen: Seen = arrival;
      arrivedAt = num(arrival.view.revision) ?? 0;
      for (;;) {
        const view = seen.view;
        const now = this.now();
        if (grouped && view.lockToken !== token && judged(view, token)) {
          const answered = await this.groupAnswer(accountId, view, token, arrivedAt, deadline);
          if (answered) return answered;
          inLine = false; // gone from the line, written nowhere
          throw refusal('busy', 'Other writes to this account kept it busy; nothing was changed. Try again shortly.', view);
        }
        if (view.lockToken === token) {
          // Handed over by the writer before: the lease, its ids and its view of the line are ours.
          this.onEvent({ type: 'lease-wait', accountId, waitedMs: now - started, taken: true });
          const lease = this.leaseFrom(view, token, Number(view.lockFrom), Number(view.lockExpires), num(view.lockSince) ?? now, true);
          return seen.along ? { ...lease, along: seen.along } : lease;
        }
        if (tag && view.lockKey === tag) {
          throw refusal('in_progress', IN_PROGRESS, view);
        }
        const lapsed = view.lockToken !== undefined && (Number(view.lockExpires) < now || orphaned(view));
        if ((view.lockToken === undefined || lapsed) && this.oldestLive(view, token, now)) {
          const taken = await this.takeFree(accountId, me, view, deadline);
          if ('token' in taken) {
            this.onEvent({ type: 'lease-wait', accountId, waitedMs: this.now() - started, taken: true });
            return taken;
          }
          seen = taken;
          continue;
        }
        if (now >= giveUpAt) {
          this.onEvent({ type: 'lease-wait', accountId, waitedMs: now - started, taken: false });
          throw refusal('busy', 'Other writes to this account kept it busy; nothing was changed. Try again shortly.', view);
        }
        const { ms, next } = this.pollDelay(view, token, now, grouped);
        await sleep(Math.max(1, Math.min(ms, giveUpAt - now)));
        // Next in line: one snapshot of #META and the write's items, unless the last one was cancelled.
        seen = next && along.length && !seen.cancelled ? await this.lookWith(accountId, along, view, deadline) : { view: await this.look(accountId, deadline) };
      }
    } catch (error) {
      const mayHaveArrived = error instanceof DeadlineExceeded && error.mayHaveApplied;
      if (grouped && (inLine || mayHaveArrived)) {
        // A holder may have carried this write: it answers as that commit did, or leaves knowing that none can.
        const answered = await this.leaveGrouped(accountId, token, giveUpAt, arrivedAt, deadline);
        if (answered) return answered;
      } else if (inLine || mayHaveArrived) {
        await leaveLine(this.ctx, accountId, token, deadline + 500).catch(() => {});
      }
      if (error instanceof DeadlineExceeded) throw new DomainError('busy', nothingChanged(error));
      throw error;
    }
  }

  /**
   * A grouped waiter that stops waiting: it leaves the line unless a holder's
   * commit took its place already (then it answers as that commit did). When
   * leaving gets no answer, one read tells, once it has waited past its
   * give-up time (no commit can carry it after that); otherwise the outcome is
   * unknown.
   */
  private async leaveGrouped(accountId: string, token: string, until: number, arrivedAt: number, deadline: number): Promise<Answered | undefined> {
    let view: Record<string, unknown> | undefined;
    try {
      view = await leaveLine(this.ctx, accountId, token, deadline + 500, true);
    } catch {
      const seen = this.now() >= until ? await this.look(accountId, deadline + 800).catch(() => undefined) : undefined;
      if (!seen) throw this.unknown(accountId);
      view = judged(seen, token) ? seen : undefined;
    }
    return view && (await this.groupAnswer(accountId, view, token, arrivedAt, deadline + 800));
  }

  /**
   * The answer of a grouped waiter whose place is gone (`view`): in `#META`, or
   * in its history entry. Neither there while the history since it arrived is
   * whole: its place went otherwise (a commit removes the places of waiters long
   * past their give-up time), and nothing of it was written.
   */
  private async groupAnswer(accountId: string, view: Record<string, unknown>, token: string, arrivedAt: number, deadline: number): Promise<Answered | undefined> {
    const inMeta = answerIn(view, token);
    if (inMeta) return { answered: inMeta };
    let found: { answer: WriteOutcome | undefined; searched: boolean };
    try {
      found = await answerFromHistory(this.ctx, partitionKey(accountId), token, arrivedAt, deadline);
    } catch {
      throw this.unknown(accountId);
    }
    if (found.answer) return { answered: found.answer };
    const oldest = num(view.changesOldest);
    if (!found.searched || (oldest !== undefined && oldest > arrivedAt + 1)) throw this.unknown(accountId);
    return undefined;
  }

  private unknown(accountId: string): DomainError {
    this.onEvent({ type: 'outcome-unknown', accountId, operation: 'TransactWriteItems' });
    return new DomainError('outcome_unknown', OUTCOME_UNKNOWN_MESSAGE);
  }

  /** Whether `token` is the oldest waiter of the line still waiting (the lease is free: it may take it). */
  private oldestLive(view: Record<string, unknown>, token: string, now: number): boolean {
    const live = lineOf(view).filter((w) => w.token !== view.lockToken && (w.until >= now || w.token === token));
    return live[0]?.token === token;
  }

  /**
   * How long to sleep before reading `#META` again, and whether this waiter is
   * next in line. A turn is `holdMs` (what commits measured from being given the
   * lease to committing); the current one started at `lockSince`. The next in
   * line reads when the current turn should end. A waiter with k live waiters
   * ahead expects its turn k + 1 turns on, give or take about √k turns (turns
   * vary, and a lease handed to a waiter that sleeps lies idle until it reads):
   * it reads after k + 1 − √k turns, and again by what it then sees. Once its
   * moment has passed the next in line looks again every quarter of a turn (at
   * most every `pollNextMaxMs`), the others once a turn. A grouped waiter
   * (group.ts) that is not next reads when the turn after the current one
   * should have ended, and then once a turn: a holder carries it in one of them.
   */
  private pollDelay(view: Record<string, unknown>, token: string, now: number, grouped: boolean): { ms: number; next: boolean } {
    const { pollMinMs, pollMaxMs, pollNextMaxMs } = this.options;
    const turn = Math.min(Math.max(num(view.holdMs) ?? DEFAULT_HOLD_MS, 2), 1_000);
    const ahead = lineOf(view).filter((w) => w.token !== token && w.token !== view.lockToken && w.until >= now);
    const mine = lineOf(view).find((w) => w.token === token);
    const before = mine ? ahead.filter((w) => w.since < mine.since || (w.since === mine.since && w.token < token)).length : ahead.length;
    // Free: the oldest live waiter takes it now, the others look again once it should have.
    if (view.lockToken === undefined) return { ms: Math.min(pollMinMs + turn * (before - Math.sqrt(before)), pollMaxMs), next: before === 0 };
    if (grouped && before > 0) {
      // A holder is likely to carry it in the next commit or the one after: it reads once that should be done.
      const groupDue = (num(view.lockSince) ?? now) + 2 * turn;
      return { ms: Math.min(Math.max(groupDue > now ? groupDue - now : turn, pollMinMs), pollMaxMs), next: false };
    }
    const due = (num(view.lockSince) ?? now) + turn * (before + 1 - Math.sqrt(before));
    // Past it: the next in line looks again every quarter of a turn, the others once a turn.
    const ms = due > now ? due - now : before === 0 ? Math.min(Math.max(turn / 4, pollMinMs), pollNextMaxMs) : turn;
    return { ms: Math.min(Math.max(ms, pollMinMs), pollMaxMs), next: before === 0 };
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

  /**
   * `#META` and the items `along`, in one TransactGetItems (a snapshot: what it
   * shows of them held at one moment). It is cancelled when a write of one of
   * its items is in flight (a commit, an arrival): it is then not sent again
   * (the waiter's next read is a plain one), and `last` stands.
   */
  private async lookWith(accountId: string, along: readonly string[], last: Record<string, unknown>, deadline: number): Promise<Seen> {
    const pk = partitionKey(accountId);
    try {
      const out = await this.calls.send<{ Responses?: Array<{ Item?: Record<string, unknown> } | undefined> }>(
        'TransactGetItems',
        new TransactGetCommand({ TransactItems: [META_SK, ...along].map((sk) => ({ Get: { TableName: this.table, Key: { pk, sk } } })) }),
        deadline,
        { attempts: 1 },
      );
      const items = (out.Responses ?? []).map((r) => r?.Item);
      return { view: items[0] ?? {}, along: items.slice(1) };
    } catch (error) {
      if (!(error instanceof DeadlineExceeded)) throw error;
      return { view: last, cancelled: true };
    }
  }

  /** The lease as `view` shows it ours; `since`: when this writer was given it (its turn, for `holdMs`, starts then). */
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
            ':entry': encodePlace(me),
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
      if (me.key && seen!.lockKey === me.key) throw refusal('in_progress', IN_PROGRESS, seen!);
      const waiters = lineOf(seen).filter((w) => w.token !== seen!.lockToken);
      const gone = waiters.filter((w) => w.until < now).map((w) => w.token);
      const live = waiters.length - gone.length;
      if (live >= this.options.queueMax || lapsed.length || !gone.length) {
        this.onEvent({ type: 'lease-queue-full', accountId, waiting: live });
        throw refusal('overloaded', `${live} writes already wait for this account; nothing was changed. Try again shortly.`, seen!);
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
    const view = { ...old, line: { ...((old.line as Record<string, unknown>) ?? {}), [me.token]: encodePlace(me) } };
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
          ExpressionAttributeValues: { ':token': me.token, ':expires': expires, ':one': 1, ':n': me.ids, ':key': me.key, ':now': now, ':mine': { [me.token]: encodePlace(me) }, ':zero': 0 },
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
      if (me.key && seen.lockKey === me.key) throw refusal('in_progress', IN_PROGRESS, seen);
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


  /** Settles a commit whose answer never came (lease-end.ts `fenceLease`): whether it was applied. */
  fence(accountId: string, lease: Lease, giveBack: boolean, deadline: number): Promise<boolean> {
    return fenceLease(this.ctx, accountId, lease, giveBack, deadline);
  }

  /** Ends the lease of a write that did not commit (lease-end.ts `releaseLease`). */
  release(accountId: string, lease: Pick<Lease, 'token' | 'line'>, giveBack: boolean, deadline: number): Promise<boolean> {
    return releaseLease(this.ctx, accountId, lease, giveBack, deadline);
  }
}
