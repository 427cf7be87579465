// The read flood of bench/reads.ts, in a process of its own (forked with tsx):
// `rate` lists per second, open loop, through one LivePerson handler (one
// container, with its copies), to the accounts given in turn, until the parent
// says stop; then it reports its answers. A process of its own so that the
// flood does not queue the quiet account's requests on one event loop.
import { benchClient } from './creates.js';
import { livePerson } from './reads.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [endpoint, tableName, targetsArg, rateArg] = process.argv.slice(2);
const targets = JSON.parse(targetsArg!) as string[];
const rate = Number(rateArg);
const client = benchClient(endpoint!);
const handler = livePerson(client, tableName!);

const statuses: Record<string, number> = {};
/** The first answer other than 200, to say what went wrong. */
let firstProblem: string | undefined;
const inFlight = new Set<Promise<void>>();
let stop = false;
process.on('message', (message) => {
  if (message === 'stop') stop = true;
});

const started = performance.now();
let sent = 0;
process.send!('started');
for (let k = 0; !stop; k++) {
  const wait = started + (1000 * k) / rate - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  if (stop) break;
  sent++;
  const p: Promise<void> = handler(httpEvent({ method: 'GET', path: BASE(targets[k % targets.length]!) }), lambdaContext()).then(
    (result) => {
      const status = String(result.statusCode ?? 200);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== '200') firstProblem ??= `${status} ${String(result.body).slice(0, 300)}`;
      inFlight.delete(p);
    },
    () => {
      statuses.threw = (statuses.threw ?? 0) + 1;
      inFlight.delete(p);
    },
  );
  inFlight.add(p);
}
const seconds = (performance.now() - started) / 1000;
await Promise.all(inFlight);
if (firstProblem) console.error(`read flood: first answer other than 200: ${firstProblem}`);
process.send!({ sent, statuses, seconds }, () => {
  client.destroy();
  process.exit(0);
});
