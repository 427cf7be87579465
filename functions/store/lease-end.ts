// How a write lease ends: handed over to the next waiter, freed, given up, or
// fenced. A commit (and a release after a refusal) hands the lease to the
// oldest waiter of the line as the holder last read it that still waits for
// longer than a moment: in the same update of `#META` it makes that waiter the
// holder (its token, its ids after this write's, its key's tag, a lapse time
// just past its deadline), so the next write starts as soon as it reads that it
// holds it, without a write of its own. With nobody to hand it to, the lease is
// freed. A waiter that gives up leaves the line (handing on a lease it was given
// at that very moment), and a commit whose answer never came is settled by the
// fence. Taking the lease and waiting for it are in lease.ts.
import type { StoreEventListener } from './events.js';
import { conditionalMetaUpdate, lineOf, marksOf, updateMeta, type Lease, type LeaseOptions, type Waiter } from './lease-line.js';
import type { Calls } from './retry.js';

/** How long a fence's mark stays in `#META`: far longer than any resend of that fence. */
export const FENCE_MARK_MS = 60_000;
/** A waiter is handed the lease only if it still waits this long: one that is about to give up is skipped. */
const HANDOVER_MARGIN_MS = 100;
/** Places of waiters that gave up this long ago (and died, since they did not leave) are removed by the next commit. */
const LAPSED_GRACE_MS = 1_000;

/** What the lease's parts share: DynamoDB, the table, the settings, the clock. */
export interface LeaseContext {
  calls: Calls;
  table: string;
  options: LeaseOptions;
  onEvent: StoreEventListener;
  now: () => number;
}

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

/**
 * Ends the lease of a write that did not commit, handing it to the next waiter
 * of `lease.line` (or freeing it). `giveBack`: the write wrote nothing, so its
 * ids are handed back (`nextId` stays where it is); otherwise `nextId` moves
 * past them, to be cleaned up by a later write. A refused condition means the
 * lease is no longer ours (it lapsed and was taken): nothing to end.
 */
export async function releaseLease(ctx: LeaseContext, accountId: string, lease: Pick<Lease, 'token' | 'line'>, giveBack: boolean, deadline: number): Promise<boolean> {
  const end = endLease(lease, undefined, ctx.now(), ctx.options.leaseMs);
  // The next holder's ids start where this one's would have ended, or where they began.
  const nextId = giveBack ? 'lockFrom' : 'lockFrom + lockN';
  const set = [`nextId = ${nextId}`, ...end.set.map((s) => (s === 'lockFrom = nextId' ? `lockFrom = ${nextId}` : s))];
  return updateMeta(
    ctx.calls,
    ctx.table,
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

/**
 * A waiter that gives up leaves the line. If it was handed the lease at the
 * last moment, it hands it on (or frees it), having written nothing.
 * `grouped`: a holder may have judged its create (group.ts), so it leaves only
 * if its place is still there; returns `#META` as it was when the place was
 * gone already (a holder's commit carried the write: its answer is there or
 * in the history), else undefined (it left, and nothing of it can land).
 */
export async function leaveLine(ctx: LeaseContext, accountId: string, token: string, deadline: number, grouped = false): Promise<Record<string, unknown> | undefined> {
  const outcome = await conditionalMetaUpdate(
    ctx.calls,
    ctx.table,
    accountId,
    {
      UpdateExpression: 'REMOVE line.#me',
      ConditionExpression: `attribute_exists(line) AND (attribute_not_exists(lockToken) OR lockToken <> :token)${grouped ? ' AND attribute_exists(line.#me)' : ''}`,
      ExpressionAttributeNames: { '#me': token },
      ExpressionAttributeValues: { ':token': token },
    },
    deadline,
  );
  if (outcome.applied) return undefined;
  if (outcome.seen.lockToken === token) {
    await releaseLease(ctx, accountId, { token, line: lineOf(outcome.seen) }, true, deadline);
    return undefined;
  }
  return grouped && !lineOf(outcome.seen).some((w) => w.token === token) ? outcome.seen : undefined;
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
export async function fenceLease(ctx: LeaseContext, accountId: string, lease: Lease, giveBack: boolean, deadline: number): Promise<boolean> {
  const now = ctx.now();
  const names: Record<string, string> = { '#me': lease.token };
  // Only the lease's holder writes `fenced`, so the take's view of it still holds.
  const stale = Object.entries(lease.fenceMarks ?? {}).filter(([, at]) => Number(at) < now - FENCE_MARK_MS);
  stale.forEach(([token], i) => (names[`#old${i}`] = token));
  // Ids that reached the table are never handed out again: `nextId` moves past them.
  const set = [lease.fenceMarks ? 'fenced.#me = :now' : 'fenced = :mine', ...(giveBack ? [] : ['nextId = lockFrom + lockN'])];
  const remove = ['lockToken', 'lockExpires', 'lockFrom', 'lockN', 'lockKey', 'lockSince', 'line.#me', ...stale.map((_, i) => `fenced.#old${i}`)];
  const outcome = await conditionalMetaUpdate(
    ctx.calls,
    ctx.table,
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
  if (!ownFence) ctx.onEvent({ type: 'lost-answer-recovered', operation: 'TransactWriteItems' });
  return !ownFence;
}
