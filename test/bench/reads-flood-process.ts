// The read flood of bench/reads.ts, in a process of its own (forked with tsx;
// the loop is open-loop.ts's): `rate` lists per second through one LivePerson
// handler (one container, with its copies), to the accounts given in turn,
// until the parent says stop.
import { benchClient } from './creates.js';
import { runOpenLoop } from './open-loop.js';
import { livePerson } from './reads.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [endpoint, tableName, targetsArg, rateArg] = process.argv.slice(2);
const targets = JSON.parse(targetsArg!) as string[];
const client = benchClient(endpoint!);
const handler = livePerson(client, tableName!);
await runOpenLoop(
  Number(rateArg),
  async (k) => {
    const result = await handler(httpEvent({ method: 'GET', path: BASE(targets[k % targets.length]!) }), lambdaContext());
    return { status: String(result.statusCode ?? 200), problem: String(result.body).slice(0, 300) };
  },
  () => client.destroy(),
);
