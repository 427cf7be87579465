// `npx tsx test/bench/input-costs.ts`: what hostile-but-accepted input costs.
//
// 1. SearchAgentStatuses on an account of 1,000 reasons: the plain search (no
//    criteria, one page) beside the worst shapes a caller can send (many
//    conditions with long needles, a flood of empty criteria nodes, one huge
//    Value). Median time of each through the function's handler on DynamoDB
//    Local, interleaved so that load on the machine hits all alike.
// 2. Idempotency records: the size (DynamoDB's rule: names plus values) of
//    the `K#` item a keyed one-reason write leaves, for a maximum-size reason.
//
// Starts its own DynamoDB Local (in memory) and stops it. Settings:
//   INPUT_COSTS_ROUNDS   timed rounds per shape (15)
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoClient } from '../../functions/aws/dynamodb.js';
import { startDynamoDbLocal, localCredentials } from '../../infra/local/dynamodb-local.js';
import { ensureTable } from '../../infra/local/table.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { BASE, connectEvent, httpEvent, lambdaContext } from '../support/events.js';
import { itemBytes } from './meter.js';
import { median } from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// Imported only now: the metrics are made at import, reading the environment set above (a static import runs first).
const { createHandler } = await import('../../functions/entry/http.js');

const ROUNDS = Number(process.env.INPUT_COSTS_ROUNDS ?? 15);

/** A maximum-size reason: 127-character text, 250-character description, 50 tags of 128/256 characters. */
function maxReason(n: number) {
  const text = `${n}`.padEnd(127, 'x');
  const tags = Object.fromEntries(Array.from({ length: 50 }, (_, t) => [`${t}`.padEnd(128, 'k'), `${n}-${t}`.padEnd(256, 'v')]));
  return { text, state: 'Away', description: `description ${n} `.padEnd(250, 'd'), tags };
}

async function main(): Promise<void> {
  const engine = await startDynamoDbLocal();
  try {
    const client = new DynamoDBClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials: localCredentials });
    const tableName = `input-costs-${randomUUID()}`;
    await ensureTable(client, tableName);
    const store = new DynamoStatusReasonStore({ client: new DynamoClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials: localCredentials }), tableName });
    const handler = createHandler(() => store, { connectGrants: undefined });
    const send = async (event: ReturnType<typeof httpEvent>) => {
      const result = await handler(event, lambdaContext());
      return { status: result.statusCode ?? 200, body: result.body ?? '' };
    };
    const lp = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => send(httpEvent({ method, path, body, headers }));
    const search = (body: string) => send(connectEvent({ method: 'POST', path: '/search-agent-statuses', rawBody: body }));

    // ------------------------------------------------------------ search cost
    const account = `acct-${randomUUID().slice(0, 8)}`;
    for (let batch = 0; batch < 10; batch++) {
      const items = Array.from({ length: 100 }, (_, i) => {
        const n = batch * 100 + i;
        return { text: `Reason ${n} ${'r'.repeat(100)}`, state: 'Away', description: `Description of reason ${n} `.padEnd(250, 'd') };
      });
      const res = await lp('POST', BASE(account), items);
      if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${res.body.slice(0, 200)}`);
    }
    const needle = 'd'.repeat(249) + 'z'; // scans each description to its end, matches none
    const condition = (Value: string) => ({ StringCondition: { FieldName: 'description', Value, ComparisonType: 'CONTAINS' } });
    const shapes: Record<string, string> = {
      'plain search (no criteria)': JSON.stringify({ InstanceId: account }),
      '100 CONTAINS conditions, 250-char needles': JSON.stringify({ InstanceId: account, SearchCriteria: { OrConditions: Array.from({ length: 100 }, () => condition(needle)) } }),
      '99 conditions in 199 nested nodes': JSON.stringify({
        InstanceId: account,
        SearchCriteria: { OrConditions: Array.from({ length: 99 }, () => ({ AndConditions: [condition(needle)] })) },
      }),
      '{"AndConditions": [{} x 85,000]} (249 KiB)': JSON.stringify({ InstanceId: account, SearchCriteria: { AndConditions: Array.from({ length: 85_000 }, () => ({})) } }),
      'one condition with a 250,000-char Value': JSON.stringify({ InstanceId: account, SearchCriteria: condition('d'.repeat(250_000)) }),
    };
    const times = new Map<string, number[]>(Object.keys(shapes).map((name) => [name, []]));
    const statuses = new Map<string, number>();
    for (let round = -2; round < ROUNDS; round++) {
      for (const [name, body] of Object.entries(shapes)) {
        const start = performance.now();
        const res = await search(body);
        const ms = performance.now() - start;
        statuses.set(name, res.status);
        if (round >= 0) times.get(name)!.push(ms);
      }
    }
    const plain = median(times.get('plain search (no criteria)')!);
    console.log(`\nSearchAgentStatuses on 1,000 reasons (median of ${ROUNDS} rounds):`);
    console.log('| request | status | median ms | × plain |');
    console.log('| --- | --- | --- | --- |');
    for (const [name, values] of times) {
      const ms = median(values);
      console.log(`| ${name} | ${statuses.get(name)} | ${ms.toFixed(1)} | ${(ms / plain).toFixed(2)} |`);
    }

    // ------------------------------------------------------- record sizes
    const recordAccount = `acct-${randomUUID().slice(0, 8)}`;
    const recordBytes = async (key: string) => {
      const out = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `ACCOUNT#${recordAccount}` }, sk: { S: `K#lp:${key}` } } }));
      return out.Item ? itemBytes(out.Item as Record<string, unknown>) : 0;
    };
    const created = await lp('POST', BASE(recordAccount), maxReason(1), { 'idempotency-key': 'bench-post' });
    const id = JSON.parse(created.body).id as number;
    const reasonBytes = Buffer.byteLength(created.body);
    await lp('PUT', `${BASE(recordAccount)}/${id}`, maxReason(2), { 'idempotency-key': 'bench-put' });
    await lp('PUT', `${BASE(recordAccount)}/${id}`, { text: maxReason(3).text, state: 'Online' }, { 'idempotency-key': 'bench-put-partial' });
    await lp('DELETE', `${BASE(recordAccount)}/${id}`, undefined, { 'idempotency-key': 'bench-delete' });
    console.log(`\nIdempotency records of keyed one-reason writes (the reason: ${reasonBytes} bytes of JSON):`);
    console.log('| write | record bytes |');
    console.log('| --- | --- |');
    console.log(`| POST, a maximum-size reason | ${await recordBytes('bench-post')} |`);
    console.log(`| PUT, a maximum-size body | ${await recordBytes('bench-put')} |`);
    console.log(`| PUT of text and state only (the description and 50 tags kept) | ${await recordBytes('bench-put-partial')} |`);
    console.log(`| DELETE of that reason | ${await recordBytes('bench-delete')} |`);
  } finally {
    await engine.stop();
  }
}

await main();
