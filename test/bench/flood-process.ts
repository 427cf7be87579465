// The flood of bench/flood.ts, in a process of its own (forked with tsx; the
// loop is open-loop.ts's): one account gets `rate` creates per second through
// the handler with store defaults, until the parent says stop. With `spread`,
// each create goes to an account of its own instead: the same load on the
// machine with no account contended (the control).
import { creator } from './flood.js';
import { runOpenLoop } from './open-loop.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [endpoint, tableName, account, rateArg, mode] = process.argv.slice(2);
const { create, destroy } = creator(endpoint!, tableName!);
await runOpenLoop(Number(rateArg), async (k) => ({ status: await create(mode === 'spread' ? `${account}-${k}` : account!, `flood ${k}`) }), destroy);
