// `npm start`: the whole service on this machine. Starts DynamoDB Local (data
// under .data/), or uses the DynamoDB at $DYNAMODB_ENDPOINT when that is set,
// makes the table if it is missing, and serves the API on 127.0.0.1:$PORT with
// the same handler the Lambda runs. The change events come from the table's
// stream through the same publishing code as in AWS (change-stream.ts): one
// line each on stdout, all of them at GET /dev/events (loopback only), and, with
// EVENTS_FILE set, appended to that file as JSON lines.
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClient } from '../../functions/aws/dynamodb.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { loadOrCreateKeys, signToken } from './jwt.js';
import { DATA_DIR } from './paths.js';
import { LocalEventSink, startChangeStream } from './change-stream.js';
import { startLocalServer } from './server.js';
import { localEnvProblems } from './start-env.js';
import { createSigV4Verifier } from './sigv4.js';
import { ensureTable } from './table.js';
import { DEFAULT_RESOURCE_SERVER } from '../../functions/platform/http/middlewares/jwt-claims.js';
import { ensureConsoleBuilt } from '../../web/server/build.js';

const problems = localEnvProblems(process.env);
if (problems.length) {
  process.stderr.write(`npm start: ${problems.join('\nnpm start: ')}\n`);
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.AWS_REGION ??= 'us-east-1';
process.env.TABLE_NAME ??= 'agent-status-reasons';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// Metrics are CloudWatch's (EMF lines on stdout); locally they would only fill the terminal.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// Accept the Cognito form of the scopes too (`agent-status-reasons/status-reasons:read`), as the default deployment does.
process.env.RESOURCE_SERVER_IDENTIFIER ??= DEFAULT_RESOURCE_SERVER;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A DynamoDB of the caller's (another DynamoDB Local, a container, AWS) is used as it is: none is started.
const external = process.env.DYNAMODB_ENDPOINT || undefined;
const dynamo = external
  ? undefined
  : await startDynamoDbLocal({
      dbPath: path.join(DATA_DIR, 'dynamodb'),
      ...(process.env.DYNAMODB_PORT && { port: Number(process.env.DYNAMODB_PORT) }),
    });
const endpoint = external ?? dynamo!.endpoint;
process.env.DYNAMODB_ENDPOINT = endpoint;
const client = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION });
await ensureTable(client, process.env.TABLE_NAME);
client.destroy();
const sink = new LocalEventSink({ log: (line) => process.stdout.write(`${line}\n`), ...(process.env.EVENTS_FILE && { file: process.env.EVENTS_FILE }) });
const changeStream = await startChangeStream({
  endpoint,
  region: process.env.AWS_REGION,
  tableName: process.env.TABLE_NAME,
  bus: sink,
  // What is written from now on (a restart does not publish the stream's last 24 hours again).
  from: 'LATEST',
  onError: (error) => process.stderr.write(`change events: ${(error as Error).message}; retrying\n`),
  onDeadLetter: ({ sequenceNumber, attempts }) =>
    process.stderr.write(`change events: record ${sequenceNumber} still failed after ${attempts} retries; skipped (in AWS: the dead-letter queue and its alarm)\n`),
});

// Imported only now: the handler reads its configuration from the environment set above.
const { handler } = await import('../../functions/entry/http.js');
const { clientAccountsInTable } = await import('../../functions/entry/authorizer.js');
const keys = await loadOrCreateKeys(DATA_DIR);
const { buildOpenApiDocument } = await import('../../functions/adapters/liveperson/openapi.js');
const consoleDir = await ensureConsoleBuilt((line) => process.stdout.write(`${line}\n`));
const server = await startLocalServer({
  handler,
  keys,
  // Machine clients registered in the local table (CLIENT#<client id> items) act for their account, as in AWS.
  accountOfClient: clientAccountsInTable(new DynamoClient({ endpoint, region: process.env.AWS_REGION }), process.env.TABLE_NAME),
  port,
  verifyIam: createSigV4Verifier(),
  // The console asks /config.json how to sign in: here, the dev sign-in (tokens minted as `npm run token` does).
  documents: { '/openapi.json': buildOpenApiDocument(), '/config.json': { signIn: 'dev' } },
  consoleDir,
  devSignIn: (account, scope) => signToken(keys, { account, scope, subject: 'console-dev' }),
  devEvents: () => sink.events,
});

const token = await signToken(keys, { account: '123' });
const base = `${server.url}/api/account/123/configuration/le-agents/status-reasons`;
process.stdout.write(
  [
    dynamo
      ? `Agent status reasons service on ${server.url} (DynamoDB Local on ${endpoint}, data in ${path.relative(process.cwd(), DATA_DIR) || '.'})`
      : `Agent status reasons service on ${server.url} (the DynamoDB at DYNAMODB_ENDPOINT=${endpoint}, table ${process.env.TABLE_NAME})`,
    '',
    'Try it (the token is for account 123; make others with `npm run -s token -- --account <id>`):',
    `  curl -s -X POST '${base}' -H 'content-type: application/json' \\`,
    `    -H 'authorization: Bearer ${token}' \\`,
    `    -d '{"text":"Lunch","state":"Away"}'`,
    '',
    `The API's OpenAPI document: ${server.url}/openapi.json`,
    `The admin console: ${server.url}/ (dev sign-in: pick an account, read-only or read-write)`,
    `Change events: a line each below, and all of them at ${server.url}/dev/events (?account=<id>)`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  await changeStream.stop();
  await dynamo?.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
