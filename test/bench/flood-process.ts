// The flood of bench/flood.ts, in a process of its own (forked with tsx): one
// account gets `rate` creates per second, open loop, through the handler with
// store defaults, until the parent says stop; then it reports its answers.
// With `spread`, each create goes to an account of its own instead: the same
// load on the machine with no account contended (the control).
// A process of its own because in AWS every request is a Lambda of its own: a
// flood must not queue the other account's requests behind its own on one
// event loop (it still shares the machine's cores and DynamoDB Local).
import { creator } from './flood.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface FloodReport {
  sent: number;
  statuses: Record<string, number>;
  seconds: number;
}

const [endpoint, tableName, account, rateArg, mode] = process.argv.slice(2);
const rate = Number(rateArg);
const { create, destroy } = creator(endpoint!, tableName!);

const statuses: Record<string, number> = {};
const inFlight = new Set<Promise<void>>();
let stop = false;
process.on('message', (message) => {
  if (message === 'stop') stop = true;
});

const started = performance.now();
let sent = 0;
process.send!('started');
for (let k = 0; !stop; k++) {
  // Open loop: the k-th request leaves at k / rate seconds, whatever the earlier ones answered.
  const wait = started + (1000 * k) / rate - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  if (stop) break;
  sent++;
  const p: Promise<void> = create(mode === 'spread' ? `${account}-${k}` : account!, `flood ${k}`).then((status) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    inFlight.delete(p);
  });
  inFlight.add(p);
}
const seconds = (performance.now() - started) / 1000;
await Promise.all(inFlight);
const report: FloodReport = { sent, statuses, seconds };
process.send!(report, () => {
  destroy();
  process.exit(0);
});
