// The fault-injection simulation (SPEC §4): concurrent clients on a few
// accounts send creates of 1–60 reasons, replaces, deletes, lists and gets, with
// and without If-Match and idempotency keys, through the real LivePerson handler,
// each client in its own "container" (its own store and DynamoDB client), with
// the fault layer (test/support/fault-layer.ts) between the SDK and the real
// DynamoDB engine. Every answer is recorded; a client resends a keyed write after
// a 500 or an answer it lost. When the faults stop and every lease has lapsed, a
// clean write on each account lets cleanup run, and the checker (check.ts) holds
// the final state and every answer against the history.
import type { Context } from 'aws-lambda';
import { createLivePersonHandler } from '../../functions/http/liveperson.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import type { HttpResult } from '../../functions/http/types.js';
import { faultyClient, type Fault, type FaultKind, type FaultLayer } from '../support/fault-layer.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { check, type Attempt, type Operation } from './check.js';
import { hash, Random, unit } from './random.js';

export interface FaultRates {
  /** Forwarded, applied, answer lost. */
  lost: number;
  throttle: number;
  /** Answered 500 without forwarding. */
  serverError: number;
  delay: number;
  /** A BatchWriteItem partly processed. */
  unprocessed: number;
}

export interface SimulationOptions {
  endpoint: string;
  tableName: string;
  seed: number;
  /** Operations in all (not counting resends). */
  ops: number;
  /** Concurrent clients, each its own container. */
  workers: number;
  accounts: number;
  rates: FaultRates;
  /** How long a delayed call waits before it is forwarded (a range, ms). */
  delayMs: [number, number];
  /** Share of answers the client loses (it then resends a keyed write with the same key). */
  clientLost: number;
  /** Share of writes that carry an idempotency key. */
  keyed: number;
  /** Each request's Lambda time. */
  lambdaMs: number;
  /** The write lease (must exceed lambdaMs). */
  leaseMs: number;
  maxItems: number;
  /** Sees every answer as it comes (for diagnosis). */
  onAnswer?: (op: Operation, answer: Attempt) => void;
  /** A trace line for every DynamoDB call, store event and answer (`npm run chaos -- --trace DIR`). */
  trace?: (line: Record<string, unknown>) => void;
}

export const DEFAULT_RATES: FaultRates = { lost: 0.03, throttle: 0.04, serverError: 0.02, delay: 0.1, unprocessed: 0.03 };

export interface SimulationReport {
  seed: number;
  operations: number;
  attempts: number;
  /** Answers by class, over every attempt. */
  answers: Record<'200' | '304' | '4xx' | '409' | '429' | '503' | '500' | 'other', number>;
  faults: Record<FaultKind, number>;
  dynamoCalls: number;
  /** Writes whose outcome stayed unknown (answered 500, not resolved by a resend). */
  unknownWrites: number;
  anomalies: string[];
  durationMs: number;
  replay: string;
}

const STATES = ['Online', 'Occupied', 'Away'] as const;

/** The fault a call gets: decided by the seed, the client, its operation, the attempt and the call's place in it. */
function schedule(options: SimulationOptions, worker: number, spot: { op: number; attempt: number; call: number }): Fault | undefined {
  const { rates, seed } = options;
  const u = unit(seed, worker, spot.op, spot.attempt, spot.call, 1);
  let edge = rates.lost;
  if (u < edge) return { kind: 'lost' };
  if (u < (edge += rates.throttle)) return { kind: 'throttle' };
  if (u < (edge += rates.serverError)) return { kind: 'server-error' };
  if (u < (edge += rates.delay)) {
    const [min, max] = options.delayMs;
    return { kind: 'delay', ms: Math.round(min + unit(seed, worker, spot.op, spot.attempt, spot.call, 2) * (max - min)) };
  }
  if (u < (edge += rates.unprocessed)) return { kind: 'unprocessed', keep: 1 + Math.floor(unit(seed, worker, spot.op, spot.attempt, spot.call, 3) * 20) };
  return undefined;
}

/** The parts of a DynamoDB request that tell a trace's reader what it was. */
function callDetail(input: Record<string, any>): Record<string, unknown> {
  const sk = (key: any) => key?.sk?.S;
  const values = input.ExpressionAttributeValues ?? {};
  if (input.TransactItems) {
    return {
      token: input.ClientRequestToken,
      items: input.TransactItems.map((t: any) => {
        const [kind, body] = Object.entries(t)[0] as [string, any];
        return `${kind} ${sk(body.Key) ?? body.Item?.sk?.S}${body.ConditionExpression ? ' if' : ''}`;
      }),
      ...(values[':token'] && { lockToken: values[':token'].S }),
      metaCond: input.TransactItems[0]?.Update?.ExpressionAttributeValues?.[':token']?.S,
    };
  }
  if (input.RequestItems) return { batch: Object.values(input.RequestItems as Record<string, unknown[]>)[0]?.length };
  return {
    ...(input.Key && { sk: sk(input.Key) }),
    ...(input.UpdateExpression && { update: String(input.UpdateExpression).slice(0, 80) }),
    ...(values[':token'] && { token: values[':token'].S }),
  };
}

interface Container {
  faults: FaultLayer;
  handler: ReturnType<typeof createLivePersonHandler>;
  spot: { op: number; attempt: number; call: number };
  destroy(): void;
}

function container(options: SimulationOptions, worker: number, withFaults: boolean): Container {
  const spot = { op: 0, attempt: 0, call: 0 };
  const { client, faults } = faultyClient(options.endpoint, withFaults ? () => schedule(options, worker, { ...spot, call: spot.call++ }) : undefined);
  const trace = options.trace;
  if (trace) {
    faults.onCall = (c) =>
      trace({ t: c.started, ms: c.ended - c.started, w: worker, op: spot.op, att: spot.attempt, call: c.operation, fault: c.fault, outcome: c.outcome, ...callDetail(c.input) });
  }
  const store = new DynamoStatusReasonStore({
    ...(trace && { onEvent: (event) => trace({ t: Date.now(), w: worker, op: spot.op, att: spot.attempt, event }) }),
    client,
    tableName: options.tableName,
    leaseMs: options.leaseMs,
    leaseWaitMs: Math.round(options.lambdaMs * 0.8),
    attemptMs: Math.max(200, Math.round(options.lambdaMs / 4)),
    dirtyGraceMs: options.leaseMs,
    requestMs: options.lambdaMs,
  });
  const handler = createLivePersonHandler({ store: (scope) => store.scoped(scope) });
  return { faults, handler, spot, destroy: () => client.destroy() };
}

/** A Lambda context whose remaining time runs out `ms` after now. */
function contextFor(ms: number): Context {
  const end = Date.now() + ms;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
}

async function send(box: Container, options: SimulationOptions, op: Operation, attempt: number): Promise<Attempt> {
  box.spot.op = op.index;
  box.spot.attempt = attempt;
  box.spot.call = 0;
  const path = op.targetId !== undefined ? `${BASE(op.account)}/${op.targetId}` : BASE(op.account);
  const headers: Record<string, string> = {};
  if (op.key) headers['idempotency-key'] = op.key;
  if (op.ifMatch !== undefined) headers['if-match'] = String(op.ifMatch);
  const method = { create: 'POST', replace: 'PUT', delete: 'DELETE', list: 'GET', get: 'GET' }[op.kind];
  const query = op.includeDeleted ? { include_deleted: 'true' } : undefined;
  const started = Date.now();
  let result: HttpResult;
  try {
    result = await box.handler(httpEvent({ method, path, headers, ...(op.body !== undefined && { body: op.body }), ...(query && { query }) }), contextFor(options.lambdaMs));
  } catch (error) {
    // The handler must answer, not throw: a thrown error is what a Lambda crash looks like to API Gateway.
    return { status: -1, revision: undefined, body: String(error), started, ended: Date.now(), clientLost: false };
  }
  const status = result.statusCode ?? 200;
  const revision = result.headers?.['ac-revision'] !== undefined ? Number(result.headers['ac-revision']) : undefined;
  return { status, revision, body: result.body ? JSON.parse(result.body) : undefined, started, ended: Date.now(), clientLost: false };
}

/** One client: its operations, one at a time, each resent with its key after a 500 or a lost answer. */
async function client(options: SimulationOptions, worker: number, count: number, accounts: string[], history: Operation[], box: Container): Promise<void> {
  const random = new Random(hash(options.seed, worker, 7));
  const known = new Map<string, number[]>(accounts.map((a) => [a, []]));
  const lastRevision = new Map<string, number>();
  const myTexts: string[] = [];
  for (let i = 0; i < count; i++) {
    const index = worker * 1_000_000 + i;
    const account = random.pick(accounts);
    const ids = known.get(account)!;
    const r = random.next();
    const kind: Operation['kind'] = r < 0.35 || ids.length === 0 ? 'create' : r < 0.55 ? 'replace' : r < 0.7 ? 'delete' : r < 0.95 ? 'list' : 'get';
    const op: Operation = { index, worker, kind, account, attempts: [] };
    const name = `s${options.seed} w${worker} o${i}`;
    if (kind === 'create') {
      const n = random.chance(0.5) ? 1 : random.int(2, options.maxItems);
      const items = Array.from({ length: n }, (_, k) => {
        const item: Record<string, unknown> = { text: `${name} i${k}`, state: random.pick(STATES) };
        if (random.chance(0.3)) item.order = random.int(-1000, 1000);
        if (random.chance(0.05)) item.deleted = true;
        return item;
      });
      // Now and then a text another reason has (or had), in other case and spacing: refused unless it was freed.
      if (myTexts.length && random.chance(0.1)) items[random.int(0, n - 1)]!.text = `  ${random.pick(myTexts).toUpperCase()} `;
      op.body = n === 1 && random.chance(0.5) ? items[0] : items;
      op.texts = items.map((item) => (item.text as string).trim());
      op.deletedTexts = items.filter((item) => item.deleted).map((item) => (item.text as string).trim());
    } else if (kind === 'replace' || kind === 'delete' || kind === 'get') {
      op.targetId = random.pick(ids);
      if (kind === 'replace') {
        op.body = { text: `${name} r`, state: random.pick(STATES) };
        op.texts = [`${name} r`];
      }
      if (kind === 'get') op.includeDeleted = random.chance(0.5);
    } else {
      op.includeDeleted = random.chance(0.7);
    }
    if (kind === 'create' || kind === 'replace' || kind === 'delete') {
      if (random.chance(options.keyed)) op.key = `k-${options.seed}-${worker}-${i}`;
      if (random.chance(0.2) && lastRevision.has(account)) op.ifMatch = lastRevision.get(account)!;
    }
    history.push(op);

    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = await send(box, options, op, attempt);
      answer.clientLost = unit(options.seed, worker, i, attempt, 9) < options.clientLost;
      op.attempts.push(answer);
      options.onAnswer?.(op, answer);
      options.trace?.({
        t: answer.ended, w: worker, op: index, att: attempt, answer: answer.status, revision: answer.revision, kind, account, key: op.key, target: op.targetId, ifMatch: op.ifMatch,
        ids: answer.status === 200 ? (Array.isArray(answer.body) ? answer.body : [answer.body]).map((r: any) => r?.id) : undefined,
        message: answer.status !== 200 ? answer.body?.message : undefined, lost: answer.clientLost, ...(attempt === 0 && op.texts && { texts: op.texts.slice(0, 3) }),
      });
      if (answer.revision !== undefined) lastRevision.set(account, Math.max(lastRevision.get(account) ?? 0, answer.revision));
      if (answer.status === 200) {
        const bodies = Array.isArray(answer.body) ? answer.body : answer.body ? [answer.body] : [];
        for (const reason of bodies as { id: number; text: string }[]) {
          if (typeof reason?.id === 'number' && !ids.includes(reason.id)) ids.push(reason.id);
          if (kind === 'create' && typeof reason?.text === 'string') myTexts.push(reason.text);
        }
      }
      const write = kind === 'create' || kind === 'replace' || kind === 'delete';
      const resend = answer.clientLost || answer.status === 500 || answer.status === 409 && op.key !== undefined && answer.body?.message?.includes('still running');
      if (!resend || (write && !op.key)) break;
      await new Promise((resolve) => setTimeout(resolve, 20 + random.int(0, 80)));
    }
  }
}

export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const started = Date.now();
  const accounts = Array.from({ length: options.accounts }, (_, a) => `sim-${options.seed}-${a}-${hash(options.seed, a, started) % 100000}`);
  const history: Operation[] = [];
  const boxes = Array.from({ length: options.workers }, (_, w) => container(options, w, true));
  const perWorker = Array.from({ length: options.workers }, (_, w) => Math.floor(options.ops / options.workers) + (w < options.ops % options.workers ? 1 : 0));
  await Promise.all(boxes.map((box, w) => client(options, w, perWorker[w]!, accounts, history, box)));

  // Faults stop; every lease lapses; then one clean write per account, late enough
  // for it to clean up what failed writes left (their grace is one lease).
  await new Promise((resolve) => setTimeout(resolve, options.leaseMs + 200));
  const clean = container(options, options.workers, false);
  for (const [a, account] of accounts.entries()) {
    const op: Operation = { index: 10_000_000 + a, worker: options.workers, kind: 'create', account, attempts: [], texts: [`s${options.seed} final ${a}`] };
    op.body = { text: op.texts![0], state: 'Away' };
    op.deletedTexts = [];
    history.push(op);
    op.attempts.push(await send(clean, options, op, 0));
  }
  const finals = new Map<string, { revision: number; items: any[] }>();
  for (const account of accounts) {
    const op: Operation = { index: 20_000_000, worker: options.workers, kind: 'list', account, attempts: [], includeDeleted: true };
    const answer = await send(clean, options, op, 0);
    finals.set(account, { revision: answer.revision ?? -1, items: answer.status === 200 ? answer.body : [] });
  }
  clean.destroy();

  const anomalies = check(history, finals);
  const answers: SimulationReport['answers'] = { '200': 0, '304': 0, '4xx': 0, '409': 0, '429': 0, '503': 0, '500': 0, other: 0 };
  let attempts = 0;
  let unknownWrites = 0;
  for (const op of history) {
    for (const a of op.attempts) {
      attempts++;
      const s = a.status;
      if (s === 200 || s === 304 || s === 409 || s === 429 || s === 503 || s === 500) answers[String(s) as '200']++;
      else if (s >= 400 && s < 500) answers['4xx']++;
      else answers.other++;
    }
    const write = op.kind === 'create' || op.kind === 'replace' || op.kind === 'delete';
    if (write && op.attempts.some((a) => a.status === 500) && !op.attempts.some((a) => a.status === 200)) unknownWrites++;
  }
  const faults: SimulationReport['faults'] = { throttle: 0, 'server-error': 0, delay: 0, lost: 0, unprocessed: 0, crash: 0, interleave: 0 };
  let dynamoCalls = 0;
  for (const box of boxes) {
    for (const kind of Object.keys(faults) as FaultKind[]) faults[kind] += box.faults.tally.faults[kind];
    dynamoCalls += Object.values(box.faults.tally.calls).reduce((n, c) => n + c, 0);
    box.destroy();
  }
  const r = options.rates;
  const replay =
    `npm run chaos -- --seed ${options.seed} --ops ${options.ops} --workers ${options.workers} --accounts ${options.accounts} ` +
    `--lost ${r.lost} --throttle ${r.throttle} --server-error ${r.serverError} --delay ${r.delay} --unprocessed ${r.unprocessed} --client-lost ${options.clientLost}`;
  return {
    seed: options.seed,
    operations: history.length,
    attempts,
    answers,
    faults,
    dynamoCalls,
    unknownWrites,
    anomalies,
    durationMs: Date.now() - started,
    replay,
  };
}
