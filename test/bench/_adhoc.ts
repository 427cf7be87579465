// Ad-hoc (not committed): units of other operations on the new store.
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { ensureTable } from '../../infra/local/table.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { historyClient } from './history.js';
import { measure } from './meter.js';
import { subject } from './creates.js';

const engine = await startDynamoDbLocal();
const client = historyClient(engine.endpoint);
const sizer = historyClient(engine.endpoint);
try {
  await ensureTable(client, 'adhoc');
  const s = subject(client, 'adhoc', {}, sizer);
  const call = async (e: ReturnType<typeof httpEvent>) => { const r = await s.handler(e, lambdaContext()); if (r.statusCode !== 200) throw new Error(`${r.statusCode} ${r.body}`); return JSON.parse(r.body as string); };
  for (const live of [20, 999]) {
    const acc = `a${live}`;
    for (let i = 0; i < live; i += 100) await call(httpEvent({ method: 'POST', path: BASE(acc), body: Array.from({ length: Math.min(100, live - i) }, (_, k) => ({ text: `L ${i + k}`, state: 'Away' })) }));
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['get by id', () => call(httpEvent({ method: 'GET', path: `${BASE(acc)}/5` }))],
      ['replace', () => call(httpEvent({ method: 'PUT', path: `${BASE(acc)}/5`, body: { text: 'L 5 renamed', state: 'Online' } }))],
      ['keyed create', () => call(httpEvent({ method: 'POST', path: BASE(acc), body: { text: 'keyed', state: 'Away' }, headers: { 'idempotency-key': `k-${live}` } }))],
      ['delete', () => call(httpEvent({ method: 'DELETE', path: `${BASE(acc)}/5` }))],
    ];
    for (const [name, op] of ops) {
      const r = await measure(s.meter, op);
      const m = r.meter;
      console.log(live, name, 'requests', m.requests, 'RCU', m.rcu, 'WCU', m.wcu, JSON.stringify(m.units));
    }
  }
} finally { client.destroy(); sizer.destroy(); await engine.stop(); }
