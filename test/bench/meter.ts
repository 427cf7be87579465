// Instruments a real DynamoDBClient for the benchmark, with middleware on its
// own stack (a DynamoDBDocumentClient made from it shares that stack):
// - counts every command sent (initialize step) and every HTTP attempt (deserialize step);
// - counts read and write units per command. DynamoDB Local's ConsumedCapacity is
//   used where it follows the published rules (GetItem, Query, UpdateItem,
//   PutItem, DeleteItem, BatchWriteItem). For transactions it does not (it
//   answered 4 units for a transaction of one put and for one of three), so those
//   are computed by the rule from the items: transactional writes 2 units per KB
//   of each item (an Update or Delete counts the larger of the item before and
//   after; a Put over an existing item likewise), transactional reads 2 units per
//   4 KB of each item. A refused conditional write reports nothing; DynamoDB bills
//   it by the size of the item it found (1 unit per KB);
// - records when each HTTP attempt was on the wire, so a call's wall time can be
//   split into "waiting on DynamoDB" and "everything else".
//
// Sizes of items the calls do not carry (an updated item before and after) come
// from reads made through a second, uninstrumented client ("read" sizing): their
// time is counted in `untimedMs`, which the timed benches subtract. Where those
// reads would change what is measured (concurrent writers holding a lease),
// "cache" sizing uses the latest copy of the item any answer carried instead.
import { performance } from 'node:perf_hooks';
import { BatchGetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClient } from '../../functions/aws/dynamodb.js';

/** The benchmark table's key attributes (infra/local/table.ts). */
const KEY_NAMES = ['pk', 'sk'] as const;
const TRANSACTION_WRITE = 'TransactWriteItemsCommand';
const TRANSACTION_GET = 'TransactGetItemsCommand';
const READS = new Set(['QueryCommand', 'GetItemCommand', 'BatchGetItemCommand', 'ScanCommand', TRANSACTION_GET]);

export interface Units {
  rcu: number;
  wcu: number;
}

export interface MeterSnapshot {
  /** Commands sent (what the caller asked for), by name. */
  commands: Record<string, number>;
  /** Total commands sent. */
  requests: number;
  /** HTTP attempts (a command sent again counts once per attempt). */
  attempts: number;
  /** ConditionalCheckFailed answers (a lost race for the lease). */
  conditionFailures: number;
  /** Write and read units, all commands. */
  wcu: number;
  rcu: number;
  /** The same by command name (refused conditional writes under `<name> (refused)`). */
  units: Record<string, Units>;
  /** Calls whose units were computed by the rule rather than reported by DynamoDB Local. */
  computedCalls: number;
  /** Calls with reported units expected that returned none. */
  unreported: number;
  /** Time spent in the meter's own sizing reads, ms: not part of what is measured. */
  untimedMs: number;
  /** [start, end] of every HTTP attempt, in performance.now() ms. */
  wire: Array<[number, number]>;
  /** Every command, when it was sent and answered, and whether it succeeded. */
  calls: CallRecord[];
}

export interface CallRecord {
  name: string;
  /** The start of an UpdateItem's UpdateExpression (tells a lease acquire from a commit). */
  update?: string;
  start: number;
  end: number;
  ok: boolean;
}

export type Sizing = 'read' | 'cache';

export interface Meter {
  reset(): void;
  snapshot(): MeterSnapshot;
  /** How sizes of items a call does not carry are found (default "read" when a sizer client was given). */
  sizing: Sizing;
  /** Counts another client's calls in this meter too (the floor's SDK client beside the handler's client). */
  attach(client: DynamoDBClient | DynamoClient): void;
}

const empty = (): MeterSnapshot => ({
  commands: {},
  requests: 0,
  attempts: 0,
  conditionFailures: 0,
  wcu: 0,
  rcu: 0,
  units: {},
  computedCalls: 0,
  unreported: 0,
  untimedMs: 0,
  wire: [],
  calls: [],
});

// ------------------------------------------------------------------ sizes

/** A number's size by DynamoDB's rule: 1 byte per two significant digits (leading and trailing zeroes trimmed), plus 1. */
function numberBytes(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

/** A marshalled value's size (AttributeValue form, as on the wire). */
function attributeBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.B !== undefined) return value.B.length;
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((b, [k, v]) => b + Buffer.byteLength(k) + 1 + attributeBytes(v), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((b, v) => b + 1 + attributeBytes(v), 0);
  if (value.SS !== undefined) return value.SS.reduce((b, s) => b + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((b, s) => b + numberBytes(s), 0);
  throw new Error(`itemBytes: unsupported attribute ${JSON.stringify(Object.keys(value))}`);
}

/** A plain value's size (as the document client holds it before marshalling). */
function plainBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return numberBytes(String(value));
  if (typeof value === 'boolean' || value === null) return 1;
  // Binary (the history's gzip'd entries): its bytes, not a map of its indices.
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((b: number, v) => b + 1 + plainBytes(v), 0);
  if (value instanceof Set) return [...value].reduce((b: number, v) => b + plainBytes(v), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value as Record<string, unknown>).reduce((b, [k, v]) => (v === undefined ? b : b + Buffer.byteLength(k) + 1 + plainBytes(v)), 0);
  }
  throw new Error(`itemBytes: unsupported value of type ${typeof value}`);
}

/** Whether an item is in AttributeValue form (the raw client, answers) or plain (the document client's input). */
const isMarshalled = (item: Record<string, unknown>) => typeof item.pk === 'object' && item.pk !== null;

/** An item's size by DynamoDB's rule: its attribute names plus values (docs: "DynamoDB item sizes and formats"). */
export function itemBytes(item: Record<string, unknown>): number {
  const marshalled = isMarshalled(item);
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name) + (marshalled ? attributeBytes(value as AttributeValue) : plainBytes(value));
  }
  return bytes;
}

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

const keyString = (table: string, key: Record<string, unknown>) => {
  const part = (v: unknown) => (typeof v === 'string' ? v : ((v as AttributeValue).S ?? (v as AttributeValue).N ?? ''));
  return [table, ...KEY_NAMES.map((k) => part(key[k]))].join('|');
};
const keyOfItem = (item: Record<string, unknown>) => Object.fromEntries(KEY_NAMES.map((k) => [k, item[k]]));
const marshalledKey = (key: string): Record<string, AttributeValue> => {
  const [, pk, sk] = key.split('|');
  return { pk: { S: pk! }, sk: { S: sk! } };
};

interface TransactAction {
  kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  key: string;
  /** A Put's new item size. */
  bytes?: number;
}

function transactActions(input: Record<string, unknown>): TransactAction[] {
  const items = (input.TransactItems ?? []) as Array<Record<string, { TableName: string; Item?: Record<string, unknown>; Key?: Record<string, unknown> }>>;
  return items.map((action) => {
    const [kind, body] = Object.entries(action).find(([, v]) => v !== undefined) as [TransactAction['kind'], { TableName: string; Item?: Record<string, unknown>; Key?: Record<string, unknown> }];
    if (kind === 'Put') return { kind, key: keyString(body.TableName, keyOfItem(body.Item!)), bytes: itemBytes(body.Item!) };
    return { kind, key: keyString(body.TableName, body.Key!) };
  });
}

const capacityOf = (value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]) as Array<{ CapacityUnits?: number }>;
  return list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
};

const meters = new WeakMap<DynamoDBClient | DynamoClient, Meter>();

/**
 * Adds the benchmark's middleware to a client (once) and returns its meter.
 * `sizer`: a second client on the same endpoint, not instrumented, for the sizing reads.
 */
export function instrument(client: DynamoDBClient | DynamoClient, sizer?: DynamoDBClient): Meter {
  const existing = meters.get(client);
  if (existing) return existing;
  let state = empty();
  /** The latest size seen of each item, by key. */
  const known = new Map<string, number>();

  const add = (name: string, units: Partial<Units>) => {
    const u = (state.units[name] ??= { rcu: 0, wcu: 0 });
    u.rcu += units.rcu ?? 0;
    u.wcu += units.wcu ?? 0;
    state.rcu += units.rcu ?? 0;
    state.wcu += units.wcu ?? 0;
  };

  /** Sizes of items now (0: absent), read consistently through the sizer; its time is not measured. */
  const readSizes = async (keys: string[]): Promise<Map<string, number>> => {
    const sizes = new Map<string, number>();
    const started = performance.now();
    try {
      for (let i = 0; i < keys.length; i += 100) {
        const byTable = new Map<string, string[]>();
        for (const key of keys.slice(i, i + 100)) byTable.set(key.split('|')[0]!, [...(byTable.get(key.split('|')[0]!) ?? []), key]);
        let request: Record<string, { Keys: Record<string, AttributeValue>[]; ConsistentRead: boolean }> = Object.fromEntries(
          [...byTable].map(([table, ks]) => [table, { Keys: ks.map(marshalledKey), ConsistentRead: true }]),
        );
        while (Object.keys(request).length) {
          const out = await sizer!.send(new BatchGetItemCommand({ RequestItems: request }));
          for (const [table, items] of Object.entries(out.Responses ?? {})) {
            for (const item of items) sizes.set(keyString(table, keyOfItem(item)), itemBytes(item));
          }
          request = (out.UnprocessedKeys ?? {}) as typeof request;
        }
      }
    } finally {
      state.untimedMs += performance.now() - started;
    }
    for (const key of keys) {
      if (!sizes.has(key)) sizes.set(key, 0);
      known.set(key, sizes.get(key)!);
    }
    return sizes;
  };

  const sizesNow = async (keys: string[]): Promise<Map<string, number>> =>
    meter.sizing === 'read' && sizer ? readSizes(keys) : new Map(keys.map((k) => [k, known.get(k) ?? 0]));

  /** Counts one call (`name` as the SDK names its command) and its units; `run` sends it and answers its output. */
  const metered = async (name: string, input: Record<string, unknown>, run: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> => {
    state.requests++;
    state.commands[name] = (state.commands[name] ?? 0) + 1;
    input.ReturnConsumedCapacity = 'TOTAL';
    const record: CallRecord = { name, start: performance.now(), end: 0, ok: false };
    if (typeof input.UpdateExpression === 'string') record.update = input.UpdateExpression.slice(0, 24);
    state.calls.push(record);
    const table = typeof input.TableName === 'string' ? input.TableName : '';
    const key = input.Key ? keyString(table, input.Key as Record<string, unknown>) : undefined;

    const actions = name === TRANSACTION_WRITE ? transactActions(input) : [];
    const before = actions.length ? await sizesNow(actions.map((a) => a.key)) : undefined;
    try {
      const result = await run();
      record.ok = true;
      record.end = performance.now();
      const output = result as { ConsumedCapacity?: unknown; Attributes?: Record<string, unknown>; Item?: Record<string, unknown>; Responses?: Array<{ Item?: Record<string, unknown> }> };
      if (name === TRANSACTION_WRITE) {
        const updated = actions.filter((a) => a.kind === 'Update').map((a) => a.key);
        const after = updated.length ? await sizesNow(updated) : new Map<string, number>();
        let wcu = 0;
        for (const a of actions) {
          const old = before!.get(a.key) ?? 0;
          const bytes = a.kind === 'Put' ? Math.max(a.bytes!, old) : a.kind === 'Update' ? Math.max(old, after.get(a.key) ?? 0) : old;
          wcu += 2 * writeUnits(bytes);
          if (a.kind === 'Put') known.set(a.key, a.bytes!);
        }
        state.computedCalls++;
        add(name, { wcu });
      } else if (name === TRANSACTION_GET) {
        // A transactional read: 2 units per 4 KB of each item (an item not found: the minimum, 2).
        const rcu = (output.Responses ?? []).reduce((n, r) => n + 2 * readUnits(r.Item ? itemBytes(r.Item) : 0), 0);
        state.computedCalls++;
        add(name, { rcu });
      } else {
        const units = capacityOf(output.ConsumedCapacity);
        if (units === undefined) state.unreported++;
        else add(name, READS.has(name) ? { rcu: units } : { wcu: units });
        // ALL_OLD answers show the item as it was; refusals of later calls may need its size.
        if (key && output.Attributes) known.set(key, itemBytes(output.Attributes));
        if (key && output.Item) known.set(key, itemBytes(output.Item));
      }
      return result;
    } catch (error) {
      record.end = performance.now();
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        state.conditionFailures++;
        // Billed by the size of the item the condition was checked on.
        const seen = (error as { Item?: Record<string, unknown> }).Item;
        const bytes = seen ? itemBytes(seen) : key ? ((await sizesNow([key])).get(key) ?? 0) : 0;
        if (key && seen) known.set(key, bytes);
        state.computedCalls++;
        add(`${name} (refused)`, { wcu: writeUnits(bytes) });
      }
      throw error;
    }
  };

  const wire = async <T>(run: () => Promise<T>): Promise<T> => {
    state.attempts++;
    const start = performance.now();
    try {
      return await run();
    } finally {
      state.wire.push([start, performance.now()]);
    }
  };

  const attach = (client: DynamoDBClient | DynamoClient) => {
    if (meters.has(client)) return;
    meters.set(client, meter);
    if (client instanceof DynamoClient) {
      // The functions' client (functions/aws/): the wire timing innermost, the meter around it. It makes one attempt per call.
      client.use((next) => (call, options) => wire(() => next(call, options)));
      client.use((next) => (call, options) => metered(`${call.operation}Command`, call.input, () => next(call, options)));
    } else {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          let result: Awaited<ReturnType<typeof next>> | undefined;
          await metered(context.commandName ?? 'unknown', args.input as Record<string, unknown>, async () => {
            result = await next(args);
            return result.output as unknown as Record<string, unknown>;
          });
          return result!;
        },
        { step: 'initialize', name: 'benchMeter', priority: 'high' },
      );
      // Low priority in the deserialize step: inside the deserializer, so it times the HTTP exchange only.
      client.middlewareStack.add((next) => (args) => wire(() => next(args)), { step: 'deserialize', name: 'benchWire', priority: 'low' });
    }
  };

  const meter: Meter = {
    attach,
    sizing: sizer ? 'read' : 'cache',
    reset: () => {
      state = empty();
    },
    snapshot: () => ({
      ...state,
      commands: { ...state.commands },
      units: Object.fromEntries(Object.entries(state.units).map(([k, v]) => [k, { ...v }])),
      wire: [...state.wire],
      calls: [...state.calls],
    }),
  };
  attach(client);
  return meter;
}

/** Total length of the union of intervals (time with at least one call on the wire). */
export function unionLength(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const [start, end] of sorted) {
    if (start > to) {
      if (to > from) total += to - from;
      from = start;
      to = end;
    } else if (end > to) to = end;
  }
  if (to > from) total += to - from;
  return total;
}

export interface Sample<T = unknown> {
  /** Wall time less the meter's own sizing reads, ms. */
  ms: number;
  /** Of which no DynamoDB call was on the wire (Node-side work), ms. */
  outsideMs: number;
  meter: MeterSnapshot;
  value: T;
}

/** Runs one operation with the meter reset before it. */
export async function measure<T>(meter: Meter, op: () => Promise<T>): Promise<Sample<T>> {
  meter.reset();
  const start = performance.now();
  const value = await op();
  const snap = meter.snapshot();
  const ms = performance.now() - start - snap.untimedMs;
  return { ms, outsideMs: ms - unionLength(snap.wire), meter: snap, value };
}

export interface PerOp {
  requests: number;
  attempts: number;
  rcu: number;
  wcu: number;
  /** Units by command name. */
  units: Record<string, Units>;
  /** Commands by name. */
  commands: Record<string, number>;
  /** Calls whose units were computed by the rule (transactions, refused conditional writes). */
  computedCalls: number;
  unreported: number;
}

/** Means per operation over samples (to 6 decimals: sums of fractions leave float dust). */
export function perOp(samples: ReadonlyArray<Sample>): PerOp {
  const n = samples.length || 1;
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  const mean = (f: (s: MeterSnapshot) => number) => round(samples.reduce((sum, s) => sum + f(s.meter), 0) / n);
  const commands: Record<string, number> = {};
  const units: Record<string, Units> = {};
  for (const { meter } of samples) {
    for (const [k, v] of Object.entries(meter.commands)) commands[k] = (commands[k] ?? 0) + v / n;
    for (const [k, v] of Object.entries(meter.units)) {
      const u = (units[k] ??= { rcu: 0, wcu: 0 });
      u.rcu += v.rcu / n;
      u.wcu += v.wcu / n;
    }
  }
  for (const u of Object.values(units)) {
    u.rcu = round(u.rcu);
    u.wcu = round(u.wcu);
  }
  for (const k of Object.keys(commands)) commands[k] = round(commands[k]!);
  return {
    requests: mean((m) => m.requests),
    attempts: mean((m) => m.attempts),
    rcu: mean((m) => m.rcu),
    wcu: mean((m) => m.wcu),
    units,
    commands,
    computedCalls: mean((m) => m.computedCalls),
    unreported: mean((m) => m.unreported),
  };
}
