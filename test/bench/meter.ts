// Instruments a real DynamoDBClient for the benchmark, with middleware on its
// own stack (a DynamoDBDocumentClient made from it shares that stack):
// - counts every command sent (initialize step) and every HTTP attempt (deserialize step);
// - sets `ReturnConsumedCapacity: 'TOTAL'` on every call and sums the write and
//   read units DynamoDB reports (DynamoDB Local reports them for UpdateItem,
//   BatchWriteItem, PutItem and Query: see test/bench/README notes in bench.ts);
// - records when each HTTP attempt was on the wire, so a create's wall time can be
//   split into "waiting on DynamoDB" and "everything else" (Node CPU: validation,
//   marshalling, SDK serialisation, scheduling).
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const READS = new Set(['QueryCommand', 'GetItemCommand', 'BatchGetItemCommand', 'ScanCommand']);

interface Capacity {
  CapacityUnits?: number;
}

export interface MeterSnapshot {
  /** Commands sent (what the caller asked for), by name. */
  commands: Record<string, number>;
  /** Total commands sent. */
  requests: number;
  /** HTTP attempts (a command retried by the SDK counts once per attempt). */
  attempts: number;
  /** ConditionalCheckFailed answers (a lost race for the lease). */
  conditionFailures: number;
  /** Write units DynamoDB reported. */
  wcu: number;
  /** Read units DynamoDB reported. */
  rcu: number;
  /** Calls that returned no ConsumedCapacity although asked to. */
  unreported: number;
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

export interface Meter {
  reset(): void;
  snapshot(): MeterSnapshot;
}

const empty = (): MeterSnapshot => ({ commands: {}, requests: 0, attempts: 0, conditionFailures: 0, wcu: 0, rcu: 0, unreported: 0, wire: [], calls: [] });

const sumCapacity = (value: Capacity | Capacity[] | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
};

const meters = new WeakMap<DynamoDBClient, Meter>();

/** Adds the benchmark's middleware to a client (once) and returns its meter. */
export function instrument(client: DynamoDBClient): Meter {
  const existing = meters.get(client);
  if (existing) return existing;
  let state = empty();

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      state.requests++;
      state.commands[name] = (state.commands[name] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const record: CallRecord = { name, start: performance.now(), end: 0, ok: false };
      if (typeof input.UpdateExpression === 'string') record.update = input.UpdateExpression.slice(0, 24);
      state.calls.push(record);
      try {
        const result = await next(args);
        record.ok = true;
        record.end = performance.now();
        const units = sumCapacity((result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
        if (units === undefined) state.unreported++;
        else if (READS.has(name)) state.rcu += units;
        else state.wcu += units;
        return result;
      } catch (error) {
        record.end = performance.now();
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') state.conditionFailures++;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchMeter', priority: 'high' },
  );

  // Low priority in the deserialize step: inside the deserializer, so it times the HTTP exchange only.
  client.middlewareStack.add(
    (next) => async (args) => {
      state.attempts++;
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        state.wire.push([start, performance.now()]);
      }
    },
    { step: 'deserialize', name: 'benchWire', priority: 'low' },
  );

  const meter: Meter = {
    reset: () => {
      state = empty();
    },
    snapshot: () => ({ ...state, commands: { ...state.commands }, wire: [...state.wire], calls: [...state.calls] }),
  };
  meters.set(client, meter);
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
