// One account flooded with writes, another written at the same time: how much
// slower the quiet account's creates get. The flood is open-loop, as separate Lambdas
// would send it: `rate` creates per second to one account, each its own
// request, whatever the earlier ones answered, sent by another process
// (flood-process.ts); the store's line cap refuses those past it with 429. The
// quiet account's creates run one at a time, in blocks that alternate with
// unloaded blocks (each block on fresh accounts, so that neither account's size
// drifts), and the two sets of latencies are compared.
//
// Locally the flood, the quiet writer and DynamoDB Local share the machine's
// cores, which AWS does not (each Lambda has its own, DynamoDB is elsewhere):
// the ratio here is an upper bound on what the design costs.
import { fileURLToPath } from 'node:url';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { accounts, benchClient } from './creates.js';
import { FloodTally, takingTurns, type FloodReport } from './open-loop.js';
import { summarize, type Summary } from './stats.js';

export interface FloodOptions {
  /** Creates per second sent to the flooded account. */
  rate: number;
  /** Quiet creates per block, and blocks of each kind (loaded, unloaded). */
  perBlock: number;
  blocks: number;
  warmup: number;
  log?: (line: string) => void;
}

/** The flood's answers by status, how many it sent, and how many it got applied per second. */
export interface FloodSide {
  sent: number;
  statuses: Record<string, number>;
  appliedPerSecond: number;
}

export interface FloodResult {
  rate: number;
  quietCreates: number;
  unloaded: Summary;
  loaded: Summary;
  /** p50 loaded / p50 unloaded (target ≤ 1.5). */
  ratio: number;
  flood: FloodSide;
  /** The control: the same rate spread over as many accounts (no account contended), same blocks. */
  control: { loaded: Summary; ratio: number; flood: FloodSide };
  /** Every quiet create answered 200. */
  quietAllApplied: boolean;
}

/**
 * One-reason creates through the LivePerson handler with store defaults, as
 * deployed (line cap 16, 8 s wait), on a client of its own (not the metered
 * one); each answers its HTTP status. Both sides of the flood use it.
 */
export function creator(endpoint: string, tableName: string): { create: (account: string, text: string) => Promise<string>; destroy: () => void } {
  const client = benchClient(endpoint);
  const store = new DynamoStatusReasonStore({ client, tableName });
  const handler = createLivePersonHandler({ store: (scope) => store.scoped(scope) });
  const create = async (account: string, text: string) => {
    const result = await handler(httpEvent({ method: 'POST', path: BASE(account), body: { text, state: 'Away' } }), lambdaContext());
    return String(result.statusCode ?? 200);
  };
  return { create, destroy: () => client.destroy() };
}

const FLOOD_PROCESS = fileURLToPath(new URL('./flood-process.ts', import.meta.url));

export async function benchFlood(endpoint: string, tableName: string, { rate, perBlock, blocks, warmup, log = () => {} }: FloodOptions): Promise<FloodResult> {
  const { create, destroy } = creator(endpoint, tableName);
  const next = accounts('f');
  let quietFailed = 0;
  const quietBlock = async (n: number, into?: number[]) => {
    const account = next();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const status = await create(account, `quiet ${i}`);
      if (into) into.push(performance.now() - t);
      if (status !== '200') quietFailed++;
    }
  };

  const floods = new FloodTally(['one', 'spread'] as const);
  /** Runs `work` while another process sends `rate` creates a second to a fresh account (or, `spread`, each to its own). */
  const flooded = (mode: 'one' | 'spread', work: () => Promise<void>) => floods.during(mode, FLOOD_PROCESS, [endpoint, tableName, next(), String(rate), mode], work);

  await quietBlock(warmup);
  await flooded('one', () => quietBlock(warmup));
  const unloaded: number[] = [];
  const loaded: number[] = [];
  const control: number[] = [];
  for (let b = 0; b < blocks; b++) {
    log(`  flood block ${b + 1}/${blocks}`);
    await quietBlock(perBlock, unloaded);
    await takingTurns(
      b,
      () => flooded('one', () => quietBlock(perBlock, loaded)),
      () => flooded('spread', () => quietBlock(perBlock, control)),
    );
  }
  destroy();
  const u = summarize(unloaded);
  const l = summarize(loaded);
  const c = summarize(control);
  const side = ({ sent, statuses, seconds }: FloodReport): FloodSide => ({ sent, statuses, appliedPerSecond: (statuses['200'] ?? 0) / Math.max(seconds, 1e-9) });
  return {
    rate,
    quietCreates: unloaded.length + loaded.length + control.length,
    unloaded: u,
    loaded: l,
    ratio: l.p50 / u.p50,
    flood: side(floods.sides.one),
    control: { loaded: c, ratio: c.p50 / u.p50, flood: side(floods.sides.spread) },
    quietAllApplied: quietFailed === 0,
  };
}
