// Group commit: a small create that waits in line for its account's lease
// carries its request as data in its place in the line (`#META.line`), and may
// be judged by the writer that holds the lease, in that writer's own commit.
// The holder decides each such waiter's create after its own write, on the
// state the one before left (its own revision, ids and history entry; a
// refusal leaves the waiter to be judged in its own turn), and its commit
// removes each member's place from the line, on condition that the place is
// still there, and writes each member's answer into `#META.answered` and its
// history head. So a member's create lands only in a commit that also takes
// its place, and a waiter that gives up removes its place (lease-end.ts
// `leaveLine`): if that applies, no commit can carry it any more; if its place
// was gone already, its answer is in `#META` or its history entry. A member
// that learns its answer late (the next commit clears `answered`) finds it in
// the history by its token.
//
// Which waiters: creates without an idempotency key, of at most
// GROUP_ITEMS_MAX items whose request is at most GROUP_COMMAND_MAX bytes (a
// full line then keeps `#META` within about 4 KB), which still wait at least
// MEMBER_MARGIN_MS; only a holder whose own write is a small create judges them
// (the state it threads is then counts and texts only). May import the
// domain's create rules and types, and the store's context, history, layout
// and lease line only.
import { QueryCommand, TransactGetCommand } from '../aws/dynamodb.js';
import { DomainError } from '../domain/errors.js';
import { textKey, wireSize, type StatusReason, type StoredReason } from '../domain/status-reason.js';
import { createTextKeys, decideCreate } from '../domain/status-reasons.js';
import type { AccountState, CreateCommand, WriteDecision, WriteOutcome, WriteRequest } from '../domain/store.js';
import type { StoreContext } from './context.js';
import { HEAD_PREFIX, headKey } from './history.js';
import { bucketKey, bucketOf, textDigest, type Meta } from './layout.js';
import { lineOf, type Lease } from './lease-line.js';

/** A create of more items than this goes alone: groups are for the many small creates that meet on an account. */
export const GROUP_ITEMS_MAX = 5;
/** A create's request (JSON) at most this long rides in its place in the line; a longer one goes alone. */
export const GROUP_COMMAND_MAX = 256;
/** The most waiters one commit judges. */
export const GROUP_MAX = 16;
/** A waiter is judged only if it still waits this long: the commit must land before it gives up. */
export const MEMBER_MARGIN_MS = 1_000;
/** How far the holder's clock may be off a member's: the holder stops committing this long before the member gives up. */
export const MEMBER_SKEW_MS = 200;

/**
 * What a waiting write gives the line so that a holder may carry it (a small
 * create without a key): its request as data, and the text buckets its
 * decision reads. Undefined for any other write.
 */
export function groupIntent(request: WriteRequest): Intent | undefined {
  const command = request.command;
  if (!command || request.idempotency || request.target !== undefined || request.readLive) return undefined;
  if (command.items.length === 0 || command.items.length > GROUP_ITEMS_MAX) return undefined;
  const json = JSON.stringify(command);
  if (Buffer.byteLength(json) > GROUP_COMMAND_MAX) return undefined;
  const buckets = [...new Set(createTextKeys(command).map((key) => bucketOf(textDigest(key))))].sort((a, b) => a - b);
  return { command: json, buckets };
}

/** What a waiting create puts in its place in the line: its request (JSON of a `CreateCommand`), and the buckets its decision reads. */
export interface Intent {
  command: string;
  buckets: number[];
}

/** A waiting write that a holder's commit carried: its answer. */
export interface Answered {
  answered: WriteOutcome;
}

/** A waiter whose create the holder decided: it commits with the holder's write. */
export interface Member {
  token: string;
  /** Its ids and revision. */
  ids: number[];
  revision: number;
  decision: WriteDecision;
  /** How many actions of the commit it takes (its reasons, a deleted one's log item, its history head). */
  actions: number;
}

/** What the holder's own create left: the state the first member is judged on. */
export interface GroupStart {
  meta: Meta;
  /** The holder's own revision, reasons and the buckets it read. */
  revision: number;
  reasons: readonly StatusReason[];
  buckets: Map<number, Record<string, number>>;
  /** When the commit stamps its reasons, and where (their size counts the stamps, as the commit's counts do). */
  now: number;
  region: string;
  /** How many more actions the commit can take. */
  room: number;
}

/**
 * Judges the waiters of `lease.line` whose places carry a create, one after
 * another, on the state the holder's own create and the members before left,
 * reading the text buckets they need that the holder did not (one
 * TransactGetItems). A waiter whose create is refused is left in line: it is
 * judged in its own turn.
 */
export async function judgeWaiters(ctx: StoreContext, pk: string, lease: Lease, start: GroupStart, deadline: number): Promise<Member[]> {
  const now = ctx.now();
  const candidates = lease.line.filter((w) => w.group && w.token !== lease.token && w.until > now + MEMBER_MARGIN_MS).slice(0, GROUP_MAX);
  if (!candidates.length) return [];
  const buckets = new Map(start.buckets);
  const wanted = [...new Set(candidates.flatMap((w) => w.group!))].filter((b) => !buckets.has(b));
  if (wanted.length) {
    // One snapshot (TransactGetItems), never plain reads: the commit that handed this writer the lease may
    // still be applying, and a plain read could see its buckets one by one. Such a commit cancels this read
    // (DynamoDB, and the documented model of the tests), and then nobody is carried this time.
    const out = await ctx.calls.send<{ Responses?: Array<{ Item?: Record<string, unknown> } | undefined> }>(
      'TransactGetItems',
      new TransactGetCommand({ TransactItems: wanted.map((b) => ({ Get: { TableName: ctx.table, Key: { pk, sk: bucketKey(b) } } })) }),
      deadline,
      { attempts: 1 },
    );
    // A bucket with no item yet holds no text.
    wanted.forEach((b, i) => buckets.set(b, plainBucket(out.Responses?.[i]?.Item ?? {})));
  }
  const state = threadedState(start, buckets);
  let nextId = start.meta.nextId;
  let room = start.room;
  const members: Member[] = [];
  for (const waiter of candidates) {
    const command = parsed(waiter.command);
    if (!command) continue;
    const actions = command.items.reduce((n, item) => n + (item.deleted ? 2 : 1), 1);
    if (actions > room) break;
    const ids = command.items.map((_, i) => nextId + i);
    let decision: WriteDecision;
    try {
      decision = decideCreate(command, state.view(), ids);
    } catch (error) {
      if (error instanceof DomainError) continue; // refused: judged again in its own turn, on the state then
      throw error;
    }
    if (decision.plan.kind !== 'create') continue;
    state.apply(decision.plan.reasons);
    members.push({ token: waiter.token, ids, revision: state.revision, decision, actions });
    nextId += ids.length;
    room -= actions;
  }
  return members;
}

/** A waiter's request as its place holds it; undefined when it does not read as one. */
function parsed(json: string | undefined): CreateCommand | undefined {
  if (json === undefined) return undefined;
  try {
    const command = JSON.parse(json) as CreateCommand;
    return command?.kind === 'create' && Array.isArray(command.items) ? command : undefined;
  } catch {
    return undefined;
  }
}

/** A bucket item's digests (every attribute but the keys). */
function plainBucket(item: Record<string, unknown>): Record<string, number> {
  const { pk: _pk, sk: _sk, ...digests } = item;
  return digests as Record<string, number>;
}

/**
 * The account's state after the holder's create and each accepted member:
 * counts, sizes and lowest order as the commit will write them, and texts
 * taken over the buckets read.
 */
function threadedState(start: GroupStart, buckets: Map<number, Record<string, number>>) {
  const taken = new Map<string, number>();
  let { live, liveBytes, lowestOrder } = start.meta;
  let revision = start.revision;
  const apply = (reasons: readonly StatusReason[]) => {
    for (const reason of reasons) {
      if (!reason.deleted) {
        live++;
        liveBytes += wireSize({ ...reason, modifiedAt: start.now, modifiedRegion: start.region } as StoredReason);
        taken.set(textDigest(textKey(reason.text)), reason.id);
      }
      if (lowestOrder === undefined || reason.order < lowestOrder) lowestOrder = reason.order;
    }
  };
  apply(start.reasons);
  return {
    get revision() {
      return revision;
    },
    apply(reasons: readonly StatusReason[]) {
      apply(reasons);
      revision++;
    },
    view(): AccountState {
      return {
        revision,
        liveCount: live,
        liveBytes,
        lowestOrder,
        holderOf: (key) => {
          const digest = textDigest(key);
          if (taken.has(digest)) return taken.get(digest);
          return buckets.get(bucketOf(digest))?.[digest];
        },
        target: undefined,
        liveReasons: undefined,
      };
    },
  };
}

/** The answer the holder wrote for `token` (`#META.answered`), if `view` holds it. */
export function answerIn(view: Record<string, unknown>, token: string): WriteOutcome | undefined {
  const answered = view.answered;
  if (answered === null || typeof answered !== 'object') return undefined;
  const mine = (answered as Record<string, unknown>)[token] as { r?: unknown; a?: unknown } | undefined;
  if (!mine || typeof mine.r !== 'number' || typeof mine.a !== 'string') return undefined;
  return { revision: mine.r, answer: JSON.parse(mine.a) as unknown, replayed: false };
}

/** What `#META.answered` holds for a group's members. */
export const answeredMap = (members: readonly Member[]): Record<string, { r: number; a: string }> =>
  Object.fromEntries(members.map((m) => [m.token, { r: m.revision, a: JSON.stringify(m.decision.answer) }]));

/**
 * Whether `view` shows that a holder judged this waiter: its place is gone from
 * the line and the lease is not its own (a waiter's place goes only with its
 * commit, its own leaving, or a holder that judged it).
 */
export const judged = (view: Record<string, unknown>, token: string): boolean => view.lockToken !== token && !lineOf(view).some((w) => w.token === token);

/** How many of an account's latest history heads a member reads for its answer. */
const ANSWER_SEARCH_MAX = 200;

/**
 * A member's answer once `#META` no longer holds it: its history entry, found
 * by its token among the latest entries after `since` (the revision it
 * arrived at), newest first. `searched`: whether every entry after `since`
 * was read (so that not finding it means no kept entry is its own).
 */
export async function answerFromHistory(
  ctx: Pick<StoreContext, 'table' | 'calls'>,
  pk: string,
  token: string,
  since: number,
  deadline: number,
): Promise<{ answer: WriteOutcome | undefined; searched: boolean }> {
  const out = await ctx.calls.send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: unknown }>(
    'Query',
    new QueryCommand({
      TableName: ctx.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': headKey(since + 1), ':to': `${HEAD_PREFIX}~` },
      ProjectionExpression: 'rev, #token, answer',
      ExpressionAttributeNames: { '#token': 'token' },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: ANSWER_SEARCH_MAX,
    }),
    deadline,
  );
  const head = (out.Items ?? []).find((item) => item.token === token && typeof item.answer === 'string');
  const answer = head ? { revision: Number(head.rev), answer: JSON.parse(String(head.answer)) as unknown, replayed: false } : undefined;
  return { answer, searched: !out.LastEvaluatedKey };
}
