// The fault-injection simulation (SPEC §4): concurrent clients on a few shared
// accounts send creates, replaces, restores, deletes, reorders, lists, gets and
// change reads through all three APIs: LivePerson requests (creates of 1–60
// reasons, with and without If-Match and idempotency keys) to the real handler; Connect requests from the official
// SDK client (SigV4-signed, through the local API Gateway stand-in, the SDK's own
// retries with one `amz-sdk-invocation-id`); direct invokes (`idempotencyKey`).
// Each client runs in its own "container" (its own store and DynamoDB client),
// with the fault layer (test/support/fault-layer.ts) between the SDK and the
// real DynamoDB engine and, unless turned off, DynamoDB as AWS documents it
// (test/support/documented-dynamo.ts: transaction conflicts, read-committed
// reads). Every answer is recorded; a client resends a keyed write after a 500
// or an answer it lost. When the faults stop and every lease has lapsed, a
// clean write on each account lets cleanup run, and the checker (check.ts) holds
// the final state and every answer against the history.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import {
  ConnectClient,
  CreateAgentStatusCommand,
  DescribeAgentStatusCommand,
  ListAgentStatusesCommand,
  UpdateAgentStatusCommand,
} from '@aws-sdk/client-connect';
import type { HttpRequest, HttpResponse } from '@smithy/protocol-http';
import { createConnectHandler } from '../../functions/adapters/connect/connect.js';
import { ListCopies } from '../../functions/platform/list-copies.js';
import type { publicReason, StoredReason } from '../../functions/domain/status-reason.js';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { createInvokeHandler } from '../../functions/adapters/invoke/invoke.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import type { HttpEvent, HttpResult } from '../../functions/platform/http/types.js';
import { loadOrCreateKeys, type LocalKeys } from '../../infra/local/jwt.js';
import { startLocalServer, type LocalServer } from '../../infra/local/server.js';
import { createSigV4Verifier } from '../../infra/local/sigv4.js';
import { localCredentials } from '../../infra/local/dynamodb-local.js';
import { LocalEventSink, startChangeStream, type ChangeStream } from '../../infra/local/change-stream.js';
import { DocumentedDynamo, type DocumentedTally } from '../support/documented-dynamo.js';
import { faultyClient, type Fault, type FaultKind, type FaultLayer } from '../support/fault-layer.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { check, connectAnswer, invokeAnswer, isWrite, livePersonAnswer, type AccountHistory, type Api, type Attempt, type Operation } from './check.js';
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
  /** The container dies at this call (nothing more of it reaches DynamoDB; the client gets API Gateway's 500; the next request gets a fresh container). */
  crash?: number;
}

/** How often the final read of an account is asked (faults off) before the run fails as unable to see its outcome. */
const FINAL_READ_ATTEMPTS = 5;

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
  /** DynamoDB as AWS documents it (default on): transaction conflicts and read-committed reads. */
  documented?: boolean;
  /** The longest window a transaction's items stay in flight after the engine applied it (each transaction's is seeded, 0 to this), ms. */
  txnWindowMs?: number;
  /** Shares of operations sent through Connect's SDK and by direct invoke (the rest: LivePerson). */
  connectShare?: number;
  invokeShare?: number;
  /** Sees every answer as it comes (for diagnosis). */
  onAnswer?: (op: Operation, answer: Attempt) => void;
  /** A trace line for every DynamoDB call, store event and answer (`npm run chaos -- --trace DIR`). */
  trace?: (line: Record<string, unknown>) => void;
  /** Publish change events from the table's stream as `npm start` does, and hold them to the history (default on; the table needs its stream). */
  events?: boolean;
}

export const DEFAULT_RATES: FaultRates = { lost: 0.03, throttle: 0.04, serverError: 0.02, delay: 0.1, unprocessed: 0.03, crash: 0.001 };
export const DEFAULT_TXN_WINDOW_MS = 150;
export const DEFAULT_SHARES = { connect: 0.25, invoke: 0.25 };

export interface SimulationReport {
  seed: number;
  operations: number;
  attempts: number;
  /** Answers by class, over every attempt. */
  answers: Record<'200' | '304' | '4xx' | '409' | '429' | '503' | '500' | 'other', number>;
  faults: Record<FaultKind, number>;
  /** What the documented model did (undefined when it was off). */
  documented: DocumentedTally | undefined;
  /** Operations by API. */
  apis: Record<Api, number>;
  /** Operations by kind: how many were sent, and (writes) how many were answered 200 at least once. */
  kinds: Partial<Record<Operation['kind'], { sent: number; applied: number }>>;
  dynamoCalls: number;
  /** Answers that were 500 because the container crashed (API Gateway's or Lambda's, not the service's). */
  crashAnswers: number;
  /** Lists (of any API) answered from a container's copy after one revision read; the checker holds them like every other list. */
  listsFromCopy: number;
  /** Creates a holder's commit carried besides its own write (group commit), and in how many commits. */
  carried: { commits: number; creates: number };
  /** Writes whose outcome stayed unknown (answered 500, not resolved by a resend). */
  unknownWrites: number;
  /** History entries read at the end, and change events published (undefined when events were off), over every account. */
  history: { entries: number; events: number | undefined };
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
  if (u < (edge += rates.crash ?? 0)) return { kind: 'crash' };
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

/** One Lambda container: its own store, DynamoDB client and fault layer, and the three APIs' handlers over them. */
interface Lambda {
  faults: FaultLayer;
  /** Its handlers' copies of the last lists answered (platform/list-copies.ts). */
  copies: Array<ListCopies<unknown>>;
  handler: ReturnType<typeof createLivePersonHandler>;
  invoke: ReturnType<typeof createInvokeHandler>;
  connect: ReturnType<typeof createConnectHandler>;
  destroy(): void;
}

/** A client's side: the container that serves it now (a crashed one is replaced), and its Connect SDK client with the API Gateway stand-in in front of the containers. */
interface Container {
  lambda: Lambda;
  /** Containers that crashed (their tallies count). */
  crashed: Lambda[];
  /** The official Connect client, against `server` (the API Gateway stand-in with its SigV4 check) running the current container's Connect handler. */
  connect: ConnectClient;
  server: LocalServer;
  spot: { op: number; attempt: number; call: number };
  /** Where the Connect client's attempts of the current operation are recorded. */
  connectOp: Operation | undefined;
  /** After a request: whether its container crashed during it (then a fresh one serves the next). */
  renewIfCrashed(): boolean;
  destroy(): Promise<void>;
}

type Shared = { keys: LocalKeys; documented: DocumentedDynamo | undefined; carried: { commits: number; creates: number } };

/** An error the way Node reports a connection reset: what a client that lost an answer sees (the SDK retries it). */
const lostAnswer = () => Object.assign(new Error('socket hang up (the simulated client lost the answer)'), { code: 'ECONNRESET', name: 'Error' });
/** What API Gateway's HTTP API answers when the function fails (a crash): the outcome is unknown. */
const CRASHED = { statusCode: 500, headers: { 'content-type': 'application/json', 'x-sim-crashed': '1' }, body: JSON.stringify({ message: 'Internal Server Error' }) };

function lambda(options: SimulationOptions, worker: number, withFaults: boolean, shared: Shared, spot: Container['spot']): Lambda {
  const { client, faults } = faultyClient(options.endpoint, withFaults ? () => schedule(options, worker, { ...spot, call: spot.call++ }) : undefined, shared.documented);
  // Each transaction's window and reveal order: seeded by the call the policy just counted.
  const windowMs = options.txnWindowMs ?? DEFAULT_TXN_WINDOW_MS;
  faults.plan = () => {
    const call = Math.max(0, spot.call - 1);
    return { windowMs: Math.round(unit(options.seed, worker, spot.op, spot.attempt, call, 4) * windowMs), seed: hash(options.seed, worker, spot.op, spot.attempt, call, 5) };
  };
  const trace = options.trace;
  if (trace) {
    faults.onCall = (c) =>
      trace({ t: c.started, ms: c.ended - c.started, w: worker, op: spot.op, att: spot.attempt, call: c.operation, fault: c.fault, outcome: c.outcome, ...callDetail(c.input) });
  }
  const store = new DynamoStatusReasonStore({
    onEvent: (event) => {
      if (event.type === 'write-grouped') {
        shared.carried.commits++;
        shared.carried.creates += event.members;
      }
      trace?.({ t: Date.now(), w: worker, op: spot.op, att: spot.attempt, event });
    },
    client,
    tableName: options.tableName,
    leaseMs: options.leaseMs,
    leaseWaitMs: Math.round(options.lambdaMs * 0.8),
    attemptMs: Math.max(200, Math.round(options.lambdaMs / 4)),
    dirtyGraceMs: options.leaseMs,
    requestMs: options.lambdaMs,
  });
  const scoped = (scope?: Parameters<DynamoStatusReasonStore['scoped']>[0]) => store.scoped(scope);
  const copies = { liveperson: new ListCopies<string>(), invoke: new ListCopies<ReturnType<typeof publicReason>[]>(), connect: new ListCopies<readonly StoredReason[]>() };
  return {
    faults,
    copies: Object.values(copies) as Array<ListCopies<unknown>>,
    handler: createLivePersonHandler({ store: scoped, listCopies: copies.liveperson }),
    invoke: createInvokeHandler({ store: scoped, listCopies: copies.invoke }),
    connect: createConnectHandler({ store: scoped, listCopies: copies.connect }),
    destroy: () => client.destroy(),
  };
}

async function container(options: SimulationOptions, worker: number, withFaults: boolean, shared: Shared): Promise<Container> {
  const spot = { op: 0, attempt: 0, call: 0 };
  const server = await startLocalServer({
    keys: shared.keys,
    verifyIam: createSigV4Verifier(),
    port: 0,
    // The Lambda's time is the simulation's; a handler that throws is marked (API Gateway would answer it 500).
    handler: async (event: HttpEvent, _context: Context) => {
      try {
        const result = await box.lambda.connect(event, contextFor(options.lambdaMs));
        return box.renewIfCrashed() ? CRASHED : result;
      } catch (error) {
        return { statusCode: 500, headers: { 'x-sim-threw': '1' }, body: JSON.stringify({ Message: String(error) }) };
      }
    },
  });
  const connect = new ConnectClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 4 });
  const box: Container = {
    lambda: lambda(options, worker, withFaults, shared, spot),
    crashed: [],
    connect,
    server,
    spot,
    connectOp: undefined,
    renewIfCrashed: () => {
      if (!box.lambda.faults.crashed) return false;
      box.crashed.push(box.lambda);
      box.lambda.destroy();
      box.lambda = lambda(options, worker, withFaults, shared, spot);
      return true;
    },
    destroy: async () => {
      connect.destroy();
      await server.close();
      box.lambda.destroy();
    },
  };
  // Inside the SDK's retries: one record per attempt (as the SDK got it), and now and then an answer the client "loses" (the SDK resends with the same invocation id).
  connect.middlewareStack.add(
    (next) => async (args) => {
      const op = box.connectOp!;
      const attempt = op.attempts.length;
      box.spot.op = op.index;
      box.spot.attempt = attempt;
      box.spot.call = 0;
      op.key ??= String((args.request as HttpRequest).headers['amz-sdk-invocation-id']);
      const started = Date.now();
      const lost = unit(options.seed, op.worker, op.index, attempt, 9) < options.clientLost;
      const record = (response: HttpResponse | undefined, output: any) => {
        const headers = Object.fromEntries(Object.entries(response?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
        const status = response?.statusCode ?? -1;
        const answer: Attempt = { ...connectAnswer(op, status, headers, output), started, ended: Date.now(), clientLost: lost };
        if (headers['x-sim-crashed']) answer.crashed = true;
        if (headers['x-sim-threw']) answer.status = -1;
        // No HTTP answer at all (the connection failed: a reused keep-alive socket the server had just closed, say): the SDK resends; the outcome is unknown.
        else if (!response) answer.status = 0;
        op.attempts.push(answer);
        options.onAnswer?.(op, answer);
        traceAnswer(options, op, attempt, answer);
      };
      let out;
      try {
        out = await next(args);
      } catch (error) {
        record((error as { $response?: HttpResponse }).$response, error);
        throw lost ? lostAnswer() : error;
      }
      record(out.response as HttpResponse, out.output);
      if (lost) throw lostAnswer();
      return out;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'simulatedClientAttempts' },
  );
  return box;
}

/** A Lambda context whose remaining time runs out `ms` after now. */
function contextFor(ms: number): Context {
  const end = Date.now() + ms;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
}

/** One LivePerson request, to the handler as API Gateway would hand it over. */
async function send(box: Container, options: SimulationOptions, op: Operation, attempt: number): Promise<Attempt> {
  box.spot.op = op.index;
  box.spot.attempt = attempt;
  box.spot.call = 0;
  const path =
    op.kind === 'changes' || op.kind === 'reorder' ? `${BASE(op.account)}/${op.kind}` : op.targetId !== undefined ? `${BASE(op.account)}/${op.targetId}` : BASE(op.account);
  const headers: Record<string, string> = {};
  if (op.key) headers['idempotency-key'] = op.key;
  if (op.ifMatch !== undefined) headers['if-match'] = String(op.ifMatch);
  const method = { create: 'POST', replace: 'PUT', restore: 'PUT', delete: 'DELETE', reorder: 'POST', list: 'GET', get: 'GET', changes: 'GET' }[op.kind];
  const query: Record<string, string> | undefined = op.kind === 'changes' ? { since: String(op.since ?? 0) } : op.includeDeleted ? { include_deleted: 'true' } : undefined;
  const started = Date.now();
  let result: HttpResult;
  try {
    result = await box.lambda.handler(httpEvent({ method, path, headers, ...(op.body !== undefined && { body: op.body }), ...(query && { query }) }), contextFor(options.lambdaMs));
    if (box.renewIfCrashed()) result = CRASHED;
  } catch (error) {
    // The handler must answer, not throw: a thrown error is what a Lambda crash looks like to API Gateway.
    return { status: -1, revision: undefined, body: String(error), started, ended: Date.now(), clientLost: false };
  }
  return { ...livePersonAnswer(result.statusCode ?? 200, result.headers, result.body), started, ended: Date.now(), clientLost: false, ...(result === CRASHED && { crashed: true }) };
}

/** One direct invoke, as Lambda hands the payload to the function. */
async function sendInvoke(box: Container, options: SimulationOptions, op: Operation, attempt: number): Promise<Attempt> {
  box.spot.op = op.index;
  box.spot.attempt = attempt;
  box.spot.call = 0;
  const write = { ...(op.ifMatch !== undefined && { ifMatch: op.ifMatch }), ...(op.key && { idempotencyKey: op.key }) };
  const payload =
    op.kind === 'create'
      ? { action: 'createStatusReasons', accountId: op.account, items: Array.isArray(op.body) ? op.body : [op.body], ...write }
      : op.kind === 'replace' || op.kind === 'restore'
        ? { action: 'replaceStatusReason', accountId: op.account, id: op.targetId, item: op.body, ...write }
        : op.kind === 'reorder'
          ? { action: 'reorderStatusReasons', accountId: op.account, ids: op.ids, ...write }
        : op.kind === 'delete'
          ? { action: 'deleteStatusReason', accountId: op.account, id: op.targetId, ...write }
          : op.kind === 'get'
            ? { action: 'getStatusReason', accountId: op.account, id: op.targetId, includeDeleted: op.includeDeleted ?? false }
            : op.kind === 'changes'
              ? { action: 'listChanges', accountId: op.account, since: op.since ?? 0 }
            : { action: 'listStatusReasons', accountId: op.account, includeDeleted: op.includeDeleted ?? false };
  const started = Date.now();
  try {
    // Through JSON, as Lambda carries it.
    const answer = JSON.parse(JSON.stringify(await box.lambda.invoke(JSON.parse(JSON.stringify(payload)), contextFor(options.lambdaMs))));
    // A crashed function: Lambda answers the invoker with a FunctionError; the outcome is unknown.
    if (box.renewIfCrashed()) return { status: 500, revision: undefined, body: { message: 'the function crashed (FunctionError: Unhandled)' }, started, ended: Date.now(), clientLost: false, crashed: true };
    return { ...invokeAnswer(answer), started, ended: Date.now(), clientLost: false };
  } catch (error) {
    return { status: -1, revision: undefined, body: String(error), started, ended: Date.now(), clientLost: false };
  }
}

/** One Connect call through the SDK; its attempts (the SDK's retries) are recorded by the container's middleware. */
async function sendConnect(box: Container, op: Operation): Promise<void> {
  box.connectOp = op;
  const InstanceId = op.account;
  const body = op.body as { text: string; enabled?: boolean; order?: number } | undefined;
  const command =
    op.kind === 'create'
      ? new CreateAgentStatusCommand({ InstanceId, Name: body!.text, State: body!.enabled === false ? 'DISABLED' : 'ENABLED', ...(body!.order !== undefined && { DisplayOrder: body!.order }) })
      : op.kind === 'replace'
        ? new UpdateAgentStatusCommand({ InstanceId, AgentStatusId: String(op.targetId), Name: body!.text })
        : op.kind === 'get'
          ? new DescribeAgentStatusCommand({ InstanceId, AgentStatusId: String(op.targetId) })
          : new ListAgentStatusesCommand({ InstanceId, MaxResults: 1000 });
  try {
    await box.connect.send(command as never);
  } catch {
    // Every attempt is recorded, the last one included.
  }
}

function traceAnswer(options: SimulationOptions, op: Operation, attempt: number, answer: Attempt): void {
  options.trace?.({
    t: answer.ended, w: op.worker, op: op.index, att: attempt, api: op.api, answer: answer.status, revision: answer.revision, kind: op.kind, account: op.account, key: op.key, target: op.targetId, ifMatch: op.ifMatch,
    ids: answer.status === 200 ? (Array.isArray(answer.body) ? answer.body : [answer.body]).map((r: any) => r?.id) : undefined,
    message: answer.status !== 200 ? answer.body?.message : undefined, lost: answer.clientLost, ...(attempt === 0 && op.texts && { texts: op.texts.slice(0, 3) }),
  });
}

/** A list's ids rearranged as a console would: one moved, two swapped, a run reversed, all shuffled, or none moved. */
function rearranged(random: Random, live: readonly number[]): number[] {
  const ids = [...live];
  if (ids.length < 2) return ids;
  const r = random.next();
  const at = () => random.int(0, ids.length - 1);
  if (r < 0.4) {
    const [moved] = ids.splice(at(), 1);
    ids.splice(random.int(0, ids.length), 0, moved!);
  } else if (r < 0.6) {
    const [x, y] = [at(), at()];
    [ids[x], ids[y]] = [ids[y]!, ids[x]!];
  } else if (r < 0.8) {
    const [x, y] = [at(), at()].sort((p, q) => p - q);
    ids.splice(x!, y! - x! + 1, ...ids.slice(x!, y! + 1).reverse());
  } else if (r < 0.9) {
    for (let k = ids.length - 1; k > 0; k--) {
      const j = random.int(0, k);
      [ids[k], ids[j]] = [ids[j]!, ids[k]!];
    }
  }
  return ids;
}

/** One client: its operations, one at a time, each through one of the APIs; a keyed write is resent with its key after a 500 or a lost answer. */
async function client(options: SimulationOptions, worker: number, count: number, accounts: string[], history: Operation[], box: Container): Promise<void> {
  const random = new Random(hash(options.seed, worker, 7));
  const known = new Map<string, number[]>(accounts.map((a) => [a, []]));
  const lastRevision = new Map<string, number>();
  // What this client last saw of each reason (its text, whether deleted), and the account's latest list it received: restores and reorders are made of them.
  const seen = new Map<string, Map<number, { text: string; deleted: boolean }>>(accounts.map((a) => [a, new Map()]));
  const lastList = new Map<string, { revision: number; live: number[] }>();
  let justListed: string | undefined;
  const myTexts: string[] = [];
  const connectShare = options.connectShare ?? DEFAULT_SHARES.connect;
  const invokeShare = options.invokeShare ?? DEFAULT_SHARES.invoke;
  for (let i = 0; i < count; i++) {
    const index = worker * 1_000_000 + i;
    // Now and then a reorder right after the list it rearranges, as a console's drag and drop follows its list; otherwise the client's latest list may be old.
    const afterList = justListed !== undefined && random.chance(0.4);
    const account = afterList ? justListed! : random.pick(accounts);
    justListed = undefined;
    const ids = known.get(account)!;
    const r = random.next();
    const reasons = seen.get(account)!;
    let kind: Operation['kind'] = afterList
      ? 'reorder'
      : r < 0.33 || ids.length === 0 ? 'create' : r < 0.5 ? 'replace' : r < 0.62 ? 'delete' : r < 0.68 ? 'restore' : r < 0.74 ? 'reorder' : r < 0.92 ? 'list' : r < 0.96 ? 'get' : 'changes';
    // A restore needs a reason whose text the client saw; a reorder, a list it received.
    if (kind === 'restore' && reasons.size === 0) kind = 'replace';
    if (kind === 'reorder' && !lastList.has(account)) kind = 'list';
    const a = random.next();
    // Connect has no delete, restore or reorder: they go by direct invoke or LivePerson instead.
    let api: Api = a < connectShare ? 'connect' : a < connectShare + invokeShare ? 'invoke' : 'liveperson';
    if (api === 'connect' && (kind === 'delete' || kind === 'restore')) api = 'invoke';
    if (api === 'connect' && kind === 'reorder') api = 'liveperson';
    // Nor a change history: GET base/changes instead.
    if (api === 'connect' && kind === 'changes') api = 'liveperson';
    const op: Operation = { index, worker, api, kind, account, attempts: [] };
    const name = `s${options.seed} w${worker} o${i}`;
    if (kind === 'create') {
      // Connect creates one agent status per call.
      const n = api === 'connect' || random.chance(0.5) ? 1 : random.int(2, options.maxItems);
      const items = Array.from({ length: n }, (_, k) => {
        const item: Record<string, unknown> = { text: `${name} i${k}`, state: random.pick(STATES) };
        if (api === 'connect') {
          item.state = 'Away';
          if (random.chance(0.3)) item.enabled = false;
          if (random.chance(0.3)) item.order = random.int(1, 50);
          return item;
        }
        if (random.chance(0.3)) item.order = random.int(-1000, 1000);
        if (random.chance(0.05)) item.deleted = true;
        return item;
      });
      // Now and then a text another reason has (or had), in other case and spacing: refused unless it was freed.
      if (myTexts.length && random.chance(0.1)) items[random.int(0, n - 1)]!.text = `  ${random.pick(myTexts).toUpperCase()} `;
      op.body = n === 1 && random.chance(0.5) ? items[0] : items;
      if (api === 'connect') op.body = items[0];
      op.texts = items.map((item) => (item.text as string).trim());
      op.deletedTexts = items.filter((item) => item.deleted).map((item) => (item.text as string).trim());
    } else if (kind === 'replace' || kind === 'delete' || kind === 'get') {
      op.targetId = random.pick(ids);
      if (kind === 'replace') {
        op.body = { text: `${name} r`, state: random.pick(STATES) };
        op.texts = [`${name} r`];
      }
      // Connect's Describe shows no deleted status.
      if (kind === 'get') op.includeDeleted = api !== 'connect' && random.chance(0.5);
    } else if (kind === 'restore') {
      // Mostly a reason the client saw deleted, with the text it saw: live again unless a live reason took the text meanwhile (then a 400).
      const deleted = [...reasons].filter(([, reason]) => reason.deleted);
      const [id, reason] = deleted.length && random.chance(0.8) ? random.pick(deleted) : random.pick([...reasons]);
      op.targetId = id;
      op.restoreText = reason.text;
      op.body = { text: reason.text, state: random.pick(STATES), deleted: false };
    } else if (kind === 'reorder') {
      // The live ids of the client's latest list, rearranged: a list others have changed since is refused (400, or 409 with If-Match).
      const list = lastList.get(account)!;
      op.ids = rearranged(random, list.live);
      op.body = { ids: op.ids };
      if (random.chance(0.3)) op.ifMatch = list.revision;
    } else if (kind === 'changes') {
      // What a desktop asks: what changed since the revision it last saw.
      op.since = lastRevision.get(account) ?? 0;
    } else {
      op.includeDeleted = api !== 'connect' && random.chance(0.7);
    }
    // Connect's writes are keyed by the SDK's invocation id (set when sent) and carry no If-Match.
    if (isWrite(op) && api !== 'connect') {
      if (random.chance(options.keyed)) op.key = `k-${options.seed}-${worker}-${i}`;
      if (op.ifMatch === undefined && random.chance(0.2) && lastRevision.has(account)) op.ifMatch = lastRevision.get(account)!;
    }
    history.push(op);

    if (api === 'connect') {
      await sendConnect(box, op);
    } else {
      for (let attempt = 0; attempt < 4; attempt++) {
        const answer = api === 'invoke' ? await sendInvoke(box, options, op, attempt) : await send(box, options, op, attempt);
        answer.clientLost = unit(options.seed, worker, i, attempt, 9) < options.clientLost;
        op.attempts.push(answer);
        options.onAnswer?.(op, answer);
        traceAnswer(options, op, attempt, answer);
        const write = isWrite(op);
        const stillRunning = answer.status === 409 && op.key !== undefined && /still running|InProgress/.test(answer.body?.message ?? '');
        const resend = answer.clientLost || answer.status === 500 || stillRunning;
        if (!resend || (write && !op.key)) break;
        await new Promise((resolve) => setTimeout(resolve, 20 + random.int(0, 80)));
      }
    }
    for (const answer of op.attempts) {
      if (answer.revision !== undefined) lastRevision.set(account, Math.max(lastRevision.get(account) ?? 0, answer.revision));
      if (answer.status !== 200) continue;
      const bodies = Array.isArray(answer.body) ? answer.body : answer.body ? [answer.body] : [];
      for (const reason of bodies as { id: number; text: string; deleted?: boolean }[]) {
        if (typeof reason?.id === 'number' && !ids.includes(reason.id)) ids.push(reason.id);
        if (kind === 'create' && typeof reason?.text === 'string') myTexts.push(reason.text);
        if (typeof reason?.id === 'number' && typeof reason.text === 'string') reasons.set(reason.id, { text: reason.text, deleted: reason.deleted === true });
      }
      // A list (or a reorder's answer: the list after it) in the service's order; Connect's summaries carry no order.
      if ((kind === 'list' || kind === 'reorder') && api !== 'connect' && answer.revision !== undefined && answer.revision >= (lastList.get(account)?.revision ?? -1)) {
        lastList.set(account, { revision: answer.revision, live: (bodies as { id: number; deleted?: boolean }[]).filter((reason) => !reason.deleted).map((reason) => reason.id) });
        if (kind === 'list') justListed = account;
      }
    }
  }
}

export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const started = Date.now();
  const accounts = Array.from({ length: options.accounts }, (_, a) => `sim-${options.seed}-${a}-${hash(options.seed, a, started) % 100000}`);
  const history: Operation[] = [];
  const shared = {
    keys: await loadOrCreateKeys(mkdtempSync(path.join(tmpdir(), 'chaos-keys-'))),
    documented: options.documented === false ? undefined : new DocumentedDynamo({ endpoint: options.endpoint }),
    carried: { commits: 0, creates: 0 },
  };
  // Change events as npm start publishes them: from now on (the table may be shared with other runs: only these accounts count).
  const sink = new LocalEventSink();
  const changeStream: ChangeStream | undefined =
    options.events === false ? undefined : await startChangeStream({ endpoint: options.endpoint, credentials: localCredentials, tableName: options.tableName, bus: sink, from: 'LATEST' });
  const boxes = await Promise.all(Array.from({ length: options.workers }, (_, w) => container(options, w, true, shared)));
  const perWorker = Array.from({ length: options.workers }, (_, w) => Math.floor(options.ops / options.workers) + (w < options.ops % options.workers ? 1 : 0));
  await Promise.all(boxes.map((box, w) => client(options, w, perWorker[w]!, accounts, history, box)));

  // Faults stop; every lease lapses; then one clean write per account, late enough
  // for it to clean up what failed writes left (their grace is one lease).
  await new Promise((resolve) => setTimeout(resolve, options.leaseMs + 200));
  const clean = await container(options, options.workers, false, shared);
  for (const [a, account] of accounts.entries()) {
    const op: Operation = { index: 10_000_000 + a, worker: options.workers, api: 'liveperson', kind: 'create', account, attempts: [], texts: [`s${options.seed} final ${a}`] };
    op.body = { text: op.texts![0], state: 'Away' };
    op.deletedTexts = [];
    history.push(op);
    op.attempts.push(await send(clean, options, op, 0));
  }
  const finals = new Map<string, { revision: number; items: any[] }>();
  for (const account of accounts) {
    const op: Operation = { index: 20_000_000, worker: options.workers, api: 'liveperson', kind: 'list', account, attempts: [], includeDeleted: true };
    // A 503 says "nothing changed, ask again": on a busy machine the clean list can run out of
    // its Lambda's time (CI, seed 3: the final read had no answer and every write looked "past" it).
    let answer = await send(clean, options, op, 0);
    for (let attempt = 1; answer.status !== 200 && attempt < FINAL_READ_ATTEMPTS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      answer = await send(clean, options, op, attempt);
    }
    if (answer.status !== 200 || answer.revision === undefined) {
      throw new Error(`seed ${options.seed}: the final read of ${account} answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)} ${FINAL_READ_ATTEMPTS} times, with faults off`);
    }
    finals.set(account, { revision: answer.revision, items: answer.body });
  }
  // The whole change history of each account (GET base/changes, paged), and the events published for it.
  const histories = new Map<string, AccountHistory>();
  await changeStream?.drain();
  await changeStream?.stop();
  for (const account of accounts) {
    const entries: AccountHistory['entries'] = [];
    let error: string | undefined;
    for (let since = 0; ; ) {
      const result = await clean.lambda.handler(httpEvent({ method: 'GET', path: `${BASE(account)}/changes`, query: { since: String(since), limit: '100' } }), contextFor(options.lambdaMs));
      if (result.statusCode !== 200) {
        error = `GET changes?since=${since} answered ${result.statusCode}: ${result.body}`;
        break;
      }
      const page = JSON.parse(result.body!) as { changes: AccountHistory['entries']; more: boolean };
      entries.push(...page.changes);
      if (!page.more || !page.changes.length) break;
      since = page.changes[page.changes.length - 1]!.revision;
    }
    histories.set(account, { entries, error, events: changeStream ? sink.events.filter((e) => e.accountId === account) : undefined });
  }
  await clean.destroy();

  const anomalies = check(history, finals, histories);
  const answers: SimulationReport['answers'] = { '200': 0, '304': 0, '4xx': 0, '409': 0, '429': 0, '503': 0, '500': 0, other: 0 };
  const apis: SimulationReport['apis'] = { liveperson: 0, connect: 0, invoke: 0 };
  const kinds: SimulationReport['kinds'] = {};
  let attempts = 0;
  let unknownWrites = 0;
  let crashAnswers = 0;
  for (const op of history) {
    apis[op.api ?? 'liveperson']++;
    const tally = (kinds[op.kind] ??= { sent: 0, applied: 0 });
    tally.sent++;
    if (isWrite(op) && op.attempts.some((a) => a.status === 200)) tally.applied++;
    for (const a of op.attempts) {
      attempts++;
      if (a.crashed) crashAnswers++;
      const s = a.status;
      if (s === 200 || s === 304 || s === 409 || s === 429 || s === 503 || s === 500) answers[String(s) as '200']++;
      else if (s >= 400 && s < 500) answers['4xx']++;
      else answers.other++;
    }
    if (isWrite(op) && op.attempts.some((a) => a.status === 500) && !op.attempts.some((a) => a.status === 200)) unknownWrites++;
  }
  const faults: SimulationReport['faults'] = { throttle: 0, 'server-error': 0, delay: 0, lost: 0, unprocessed: 0, crash: 0, interleave: 0 };
  let dynamoCalls = 0;
  let listsFromCopy = 0;
  for (const box of boxes) {
    for (const { faults: layer, copies } of [...box.crashed, box.lambda]) {
      listsFromCopy += copies.reduce((n, c) => n + c.answered, 0);
      for (const kind of Object.keys(faults) as FaultKind[]) faults[kind] += layer.tally.faults[kind];
      dynamoCalls += Object.values(layer.tally.calls).reduce((n, c) => n + c, 0);
    }
    await box.destroy();
  }
  const documented = shared.documented ? { ...shared.documented.tally } : undefined;
  shared.documented?.destroy();
  const r = options.rates;
  const replay =
    `npm run chaos -- --seed ${options.seed} --ops ${options.ops} --workers ${options.workers} --accounts ${options.accounts} ` +
    `--lost ${r.lost} --throttle ${r.throttle} --server-error ${r.serverError} --delay ${r.delay} --unprocessed ${r.unprocessed} --crash ${r.crash ?? 0} --client-lost ${options.clientLost} ` +
    `--keyed ${options.keyed} --lambda-ms ${options.lambdaMs} --lease-ms ${options.leaseMs} --max-items ${options.maxItems} ` +
    `--documented ${options.documented === false ? 0 : 1} --txn-window-ms ${options.txnWindowMs ?? DEFAULT_TXN_WINDOW_MS} ` +
    `--connect ${options.connectShare ?? DEFAULT_SHARES.connect} --invoke ${options.invokeShare ?? DEFAULT_SHARES.invoke}`;
  return {
    seed: options.seed,
    operations: history.length,
    attempts,
    answers,
    faults,
    documented,
    apis,
    kinds,
    dynamoCalls,
    crashAnswers,
    listsFromCopy,
    carried: shared.carried,
    unknownWrites,
    history: {
      entries: [...histories.values()].reduce((n, h) => n + h.entries.length, 0),
      events: changeStream ? [...histories.values()].reduce((n, h) => n + (h.events?.length ?? 0), 0) : undefined,
    },
    anomalies,
    durationMs: Date.now() - started,
    replay,
  };
}
