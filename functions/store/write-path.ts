// The write path, start to answer: the lease (lease.ts) and, beside it, the
// start read (read-path.ts), read again under the lease when a write committed
// in between; a keyed repeat answered from its record; the domain's decision
// on the account's state; the plan (plan.ts, purge.ts) and the history entry
// (history.ts); the items and parts a large write sends before its commit
// (batch.ts); the waiting creates a small create carries (group.ts); the
// commit (commit.ts); and on failure, the lease freed and the
// parts removed in the time kept for answering, the error told as busy or
// unknown. It remembers which accounts were contended just now. May import the
// domain's types and errors, and every store module but the facade.
import type { ChangeEntry, ChangeRecord } from '../domain/changes.js';
import { DomainError } from '../domain/errors.js';
import type { StatusReason, StoredReason } from '../domain/status-reason.js';
import type { AccountState, WriteDecision, WriteOutcome, WriteRequest } from '../domain/store.js';
import { batchWrite, toBatchRequest, type TransactItem } from './batch.js';
import { commit, CommitUnknown, MemberLeft, PARTS_CLEANUP_MS, removeParts } from './commit.js';
import { busy, type StoreContext, type WriteSettings } from './context.js';
import { DeadlineExceeded, nothingChanged, OUTCOME_UNKNOWN_MESSAGE } from './errors.js';
import { GROUP_ITEMS_MAX, MEMBER_SKEW_MS, answeredMap, groupIntent, judgeWaiters, type GroupStart, type Member } from './group.js';
import { encodeEntry, PURGE_ACTIONS_MAX, type EncodedEntry } from './history.js';
import { bucketOf, liveReason, partitionKey, TEXT_BUCKETS, textDigest, type Meta } from './layout.js';
import { lineOf, type AccountLeases, type Lease } from './lease.js';
import { COMMIT_ROOM, planCommit, planReorder, TRANSACTION_MAX } from './plan.js';
import { planHistory } from './purge.js';
import { readLiveItems, readStart, startFrom, startKeys, type StartKeys, type Target } from './read-path.js';
import { recordPut, replay } from './records.js';

/** How long after writers met on an account a write skips the read beside the lease (by its turn it would be stale). */
const CONTENDED_MS = 5_000;
/** The most accounts whose contention is remembered: only recent ones matter. */
const CONTENDED_MAX = 1_000;

export class WritePath {
  /** Accounts whose last write here had to wait for the lease, and when: a read beside the lease would be stale by its turn. */
  private readonly contended = new Map<string, number>();

  constructor(
    private readonly ctx: StoreContext,
    private readonly leases: AccountLeases,
    private readonly settings: WriteSettings,
  ) {}

  async write(accountId: string, request: WriteRequest, decide: (state: AccountState, ids: number[]) => WriteDecision, requestDeadline: number): Promise<WriteOutcome> {
    const { ctx, leases, settings } = this;
    const pk = partitionKey(accountId);
    const key = request.idempotency;
    const wanted: StartKeys = { target: request.target, key: key?.key, textKeys: request.textKeys };
    const needsStart = request.target !== undefined || key !== undefined || (request.textKeys?.length ?? 0) > 0;
    // Beside the lease, a snapshot read, used if no write commits in between: not when the
    // account was just contended, since a write that waits its turn would read again anyway.
    const contended = this.wasContended(accountId);
    const speculate = needsStart && !contended;
    // A small create may be judged by the holder while it waits (group.ts).
    const intent = groupIntent(request);
    const [leased, started] = await Promise.allSettled([
      leases.acquire(accountId, request.newIds, key?.key, requestDeadline, contended, needsStart ? startKeys(wanted) : [], intent),
      speculate ? readStart(ctx, pk, wanted, requestDeadline, { attempts: 1 }) : Promise.resolve(undefined),
    ]);
    // A repeat of a request that committed answers as it did, busy account or not.
    const record = started.status === 'fulfilled' ? started.value?.record : undefined;
    if (record && key) {
      if (leased.status === 'fulfilled' && !('answered' in leased.value)) await leases.release(accountId, leased.value, true, requestDeadline + 500).catch(() => {});
      return replay(ctx, accountId, record, key, started.status === 'fulfilled' ? started.value?.revision : undefined);
    }
    if (leased.status === 'rejected') throw leased.reason;
    if ('answered' in leased.value) {
      // A holder's commit carried this create.
      this.markContended(accountId);
      return leased.value.answered;
    }
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
        start = lease.along ? startFrom(ctx, lease.along, wanted, meta) : await readStart(ctx, pk, wanted, deadline, { underLease: meta });
        // The key's record as of this revision: a repeat of a write that committed answers as it did.
        if (start.record && key) {
          await leases.release(accountId, lease, true, deadline).catch(() => {});
          return replay(ctx, accountId, start.record, key, start.revision);
        }
      }
      const target = start?.target;
      const ids = Array.from({ length: request.newIds }, (_, i) => lease.firstId + i);
      // Under the lease: no write commits while these are read.
      const liveItems = request.readLive ? await readLiveItems(ctx, pk, meta, deadline) : undefined;

      // The record was read at this revision (above, or beside the lease), under the lease: no
      // request with this key can commit meanwhile, so a refusal here is this request's own.
      const state = accountState(meta, target, start?.buckets ?? new Map(), liveItems && liveItems.map((item) => liveReason(meta, item)));
      const decision = decide(state, ids);

      const plan = decision.plan;
      const revision = meta.revision + 1;
      if (decision.entry.revision !== revision) throw new Error(`the decision's history entry is for revision ${decision.entry.revision}, the write commits ${revision}`);
      const reasons = plan.kind === 'create' ? plan.reasons : plan.kind === 'replace' ? [plan.reason] : [];
      // A reorder changes #META's live size, lowest order and maybe orderGen; planCommit carries them over.
      const reorder = plan.kind === 'reorder' ? planReorder(ctx, settings, pk, lease, meta, plan.changes, liveItems!, revision) : undefined;
      // An inline reorder's moved reasons are written (and stamped) by the commit; a large one's before it, unstamped.
      const reordered = reorder && !reorder.large && plan.kind === 'reorder' ? plan.changes.map((c) => c.id) : [];
      // The history entry: its head rides in the commit, a large one's parts go out before it, the oldest entries past the limits are dropped in it.
      const at = ctx.now();
      const encoded = encodeEntry(pk, stamped(decision.entry, at), lease.token, at);
      // A small create judges the waiting creates whose places carry their requests, and carries those it accepts (group.ts).
      const groupable = plan.kind === 'create' && !encoded.parts.length && reasons.length <= Math.min(GROUP_ITEMS_MAX, settings.transactionItems) && lease.line.some((w) => w.group);
      const members = groupable ? await judgeWaiters(ctx, pk, lease, groupStart(meta, revision, reasons, start, at, settings), deadline).catch(() => []) : [];

      // What the commit writes, with the members or (when one of them left meanwhile) without them.
      const planFor = async (members: Member[], lease: Lease) => {
        const tokens = new Set(members.map((m) => m.token));
        const heads = members.map((m) => encodeEntry(pk, stamped(m.decision.entry, at), m.token, at));
        heads.forEach((head, i) => (head.head.answer = JSON.stringify(members[i]!.decision.answer)));
        const bytes = heads.reduce((n, h) => n + h.bytes, encoded.bytes);
        const history = await planHistory(ctx, pk, meta, { revision, bytes, at }, settings.keepLimits, deadline);
        const nextId = members.reduce((n, m) => n + m.ids.length, meta.nextId);
        const all = [...reasons, ...members.flatMap((m) => (m.decision.plan.kind === 'create' ? m.decision.plan.reasons : []))];
        const group = members.length ? { tokens: [...tokens], answered: answeredMap(members) } : undefined;
        const planned = await planCommit(
          ctx,
          settings,
          pk,
          members.length ? { ...lease, line: lease.line.filter((w) => !tokens.has(w.token)) } : lease,
          { ...(reorder ? reorder.meta : meta), nextId, ...history.bounds },
          all,
          target,
          revision + members.length,
          deadline,
          reordered,
          group,
        );
        if (reorder) planned.items.push(...reorder.items);
        return { planned, history, heads };
      };
      let { planned, history, heads } = await planFor(members, lease);
      // Small writes put their reasons in the commit itself; a large create (or reorder) writes them first, invisible until it commits.
      const room = COMMIT_ROOM - planned.buckets.length;
      // A group rides whole in the commit (its own create is small, and the members were judged to fit).
      const fits = (items: number) => plan.kind === 'replace' || (reorder ? !reorder.large : items <= Math.min(members.length ? TRANSACTION_MAX : settings.transactionItems, room));
      if (members.length && !fits(planned.items.length)) {
        members.length = 0;
        ({ planned, history, heads } = await planFor(members, lease));
      }
      const inline = fits(planned.items.length);
      const early = inline ? planned.cleanup : [...planned.cleanup, ...planned.items.map(toBatchRequest)];
      const parts = encoded.parts.map((Item) => ({ PutRequest: { Item } }));
      if (early.length || parts.length) {
        itemsSent = !inline;
        partsSent = encoded.parts;
        await batchWrite(ctx, [...early, ...parts], deadline);
      }
      const actionsOf = () => {
        const actions: TransactItem[] = [{ Update: planned.metaUpdate }, ...planned.buckets];
        if (inline) actions.push(...planned.items);
        actions.push({ Put: { TableName: ctx.table, Item: encoded.head } }, ...heads.map((h) => ({ Put: { TableName: ctx.table, Item: h.head } })), ...history.drops);
        // The idempotency record goes last: commit() finds its refusal by that place.
        if (key) actions.push(recordPut(ctx, pk, key, decision.answer, revision));
        if (actions.length > TRANSACTION_MAX) throw new Error(`a commit of ${actions.length} actions planned; TransactWriteItems takes ${TRANSACTION_MAX}`);
        return actions;
      };
      // A write that sent history parts stops trying to commit early enough to remove them if it fails.
      let commitDeadline = partsSent.length ? deadline - PARTS_CLEANUP_MS : deadline;
      // Nothing of a member may land once it could have given up waiting (by its own clock, give or take).
      for (const m of members) commitDeadline = Math.min(commitDeadline, lease.line.find((w) => w.token === m.token)!.until - MEMBER_SKEW_MS);
      let replayed: WriteOutcome | undefined;
      try {
        replayed = await commit(ctx, leases, accountId, lease, actionsOf(), key, !itemsSent, commitDeadline, members.length > 0);
        if (members.length) ctx.onEvent({ type: 'write-grouped', accountId, members: members.length });
      } catch (error) {
        if (!(error instanceof MemberLeft)) throw error;
        // Nothing was applied: commit alone, handing the lease on by the line as it is now (under another
        // request token: DynamoDB keeps the first one's parameters).
        ({ planned, history, heads } = await planFor([], { ...lease, line: lineOf(error.seen) }));
        replayed = await commit(ctx, leases, accountId, lease, actionsOf(), key, !itemsSent, partsSent.length ? deadline - PARTS_CLEANUP_MS : deadline, false, `${lease.token}-1`);
      }
      if (replayed) await removeParts(ctx, partsSent, requestDeadline);
      return replayed ?? { revision, answer: decision.answer, replayed: false };
    } catch (error) {
      if (!(error instanceof CommitUnknown)) {
        // Not committed: this write's history parts count for nothing (no head names them), and the
        // lease is freed (ids of a write that wrote nothing go back). Both in the time kept for
        // answering: a commit retried to its deadline leaves none of its own.
        await Promise.all([
          removeParts(ctx, partsSent, requestDeadline + 500),
          leases.release(accountId, lease, !itemsSent, requestDeadline + 500).catch(() => {}),
        ]);
      }
      throw this.failure(error, accountId);
    }
  }

  private wasContended(accountId: string): boolean {
    const at = this.contended.get(accountId);
    return at !== undefined && at > this.ctx.now() - CONTENDED_MS;
  }

  private markContended(accountId: string): void {
    if (this.contended.size >= CONTENDED_MAX) this.contended.clear(); // a bounded memory: only recent accounts matter
    this.contended.set(accountId, this.ctx.now());
  }

  /** The domain's refusals pass; running out of time before the commit means nothing changed. */
  private failure(error: unknown, accountId: string): unknown {
    if (error instanceof CommitUnknown) {
      this.ctx.onEvent({ type: 'outcome-unknown', accountId, operation: 'TransactWriteItems' });
      return new DomainError('outcome_unknown', OUTCOME_UNKNOWN_MESSAGE);
    }
    if (error instanceof DeadlineExceeded) return busy(nothingChanged(error));
    return error;
  }
}

/** A decision's history entry as committed: stamped with the commit's time. */
function stamped(record: ChangeRecord, at: number): ChangeEntry {
  const { revision, ...recorded } = record;
  return { revision, at: new Date(at).toISOString(), ...recorded };
}

/** What the holder's create leaves for the waiters it judges (group.ts). */
function groupStart(meta: Meta, revision: number, reasons: StatusReason[], start: { buckets: Map<number, Record<string, number>> } | undefined, now: number, settings: WriteSettings): GroupStart {
  // What the commit can take besides the holder's own create: #META, every bucket, its reasons (a deleted one with its log item), its head, the purge, a record.
  const own = reasons.reduce((n, r) => n + (r.deleted ? 2 : 1), 0);
  const room = TRANSACTION_MAX - 1 - TEXT_BUCKETS - own - 1 - PURGE_ACTIONS_MAX - 1;
  return { meta, revision, reasons, buckets: start?.buckets ?? new Map(), now, region: settings.region, room };
}

/** What the domain decides on, from `#META`, the target and the text buckets read. */
function accountState(meta: Meta, target: Target | undefined, buckets: Map<number, Record<string, number>>, liveReasons: StoredReason[] | undefined): AccountState {
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
