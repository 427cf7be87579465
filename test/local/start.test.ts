// `npm start` and `npm run token` as a newcomer uses them: the real commands,
// a real HTTP client, data kept across a restart.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, localCredentials } from '../../infra/local/dynamodb-local.js';
import { ROOT } from '../../infra/local/paths.js';
import { OPENAPI_FILE } from '../../infra/openapi.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(path.join(tmpdir(), 'asr-start-'));
let port: number;
let child: ChildProcess | undefined;
let output = '';

/** `npm start` as a child process group; `env` adds to (or, as undefined, removes from) this process's environment. */
async function launch(env: Record<string, string | undefined>): Promise<{ child: ChildProcess; output: () => string }> {
  let text = '';
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined));
  const started = spawn('npm', ['start'], { cwd: ROOT, env: merged, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  started.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!text.includes('Ctrl-C stops it')) {
    if (Date.now() > deadline || started.exitCode !== null) {
      if (started.exitCode === null) process.kill(-started.pid!, 'SIGKILL');
      throw new Error(`npm start did not come up:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child: started, output: () => text };
}

async function stopGroup(started: ChildProcess | undefined): Promise<void> {
  if (!started || started.exitCode !== null) return;
  const exited = new Promise((resolve) => started.once('exit', resolve));
  process.kill(-started.pid!, 'SIGTERM');
  await exited;
}

/** The commands of the processes in `npm start`'s process group (it is the group's leader). */
async function groupCommands(started: ChildProcess): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pgid=,comm=']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pgid]) => Number(pgid) === started.pid)
    .map(([, comm]) => comm!);
}

async function start(): Promise<void> {
  // Its own DynamoDB Local, whatever the environment running the tests says.
  const launched = await launch({ PORT: String(port), DATA_DIR: dataDir, DYNAMODB_ENDPOINT: undefined });
  child = launched.child;
  output = launched.output();
}

async function stop(): Promise<void> {
  await stopGroup(child);
}

const token = async (account: string, scope?: string, dir = dataDir) => {
  const args = ['run', 'token', '--', '--account', account, ...(scope ? ['--scope', scope] : [])];
  const { stdout } = await run('npm', args, { cwd: ROOT, env: { ...process.env, DATA_DIR: dir } });
  return stdout;
};

beforeAll(async () => {
  port = await freePort();
  await start();
}, 90_000);

afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints its URL and a ready-to-paste curl line', () => {
    expect(output).toContain(`http://127.0.0.1:${port}`);
    expect(output).toContain('DynamoDB Local on http://127.0.0.1:');
    expect(output).toMatch(/curl -s -X POST 'http:\/\/127\.0\.0\.1:\d+\/api\/account\/123\/configuration\/le-agents\/status-reasons'/);
  });

  it('refuses a mistyped numeric setting before starting anything, naming it (exit 2)', async () => {
    const failed = await run('npm', ['start'], { cwd: ROOT, env: { ...process.env, PORT: '', HISTORY_MAX_BYTES: '16MiB' } }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('PORT="" must be a port number');
    expect(failed?.stderr).toContain('HISTORY_MAX_BYTES="16MiB" must be a whole number of bytes');
  });

  it('starts its own DynamoDB Local, with its files under DATA_DIR', async () => {
    expect(await groupCommands(child!)).toContain('java');
    expect(existsSync(path.join(dataDir, 'dynamodb'))).toBe(true);
  });

  it('serves the OpenAPI document at /openapi.json, without a token', async () => {
    expect(output).toContain(`http://127.0.0.1:${port}/openapi.json`);
    const res = await fetch(`http://127.0.0.1:${port}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')));
  });

  it('npm run token prints only a token, and the server accepts it; data survives a restart', async () => {
    const printed = await token('42');
    expect(printed).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const url = `http://127.0.0.1:${port}/api/account/42/configuration/le-agents/status-reasons`;
    const headers = { authorization: `Bearer ${printed.trim()}`, 'content-type': 'application/json' };

    const created = await fetch(url, { method: 'POST', headers, body: JSON.stringify([{ text: 'Lunch', state: 'Away' }, { text: 'Training', state: 'Occupied' }]) });
    expect(created.status).toBe(200);
    expect(created.headers.get('ac-revision')).toBe('1');
    expect(((await created.json()) as { text: string }[]).map((r) => r.text)).toEqual(['Lunch', 'Training']);

    const readOnly = (await token('42', 'status-reasons:read')).trim();
    const refused = await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${readOnly}` }, body: '{"text":"x","state":"Away"}' });
    expect(refused.status).toBe(403);
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);

    await stop();
    await start();
    const listed = await fetch(url, { headers: { authorization: `Bearer ${readOnly}` } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('ac-revision')).toBe('1');
    expect(((await listed.json()) as { text: string }[]).map((r) => r.text).sort()).toEqual(['Lunch', 'Training']);
  }, 120_000);
});

describe('npm start with DYNAMODB_ENDPOINT set', () => {
  // The test run's own engine stands for "another DynamoDB": npm start must use it and start none.
  const endpoint = inject('dynamoEndpoint');
  const tableName = `start-${randomUUID()}`;
  const externalDataDir = mkdtempSync(path.join(tmpdir(), 'asr-start-external-'));
  const engine = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
  let externalPort: number;
  let external: ChildProcess | undefined;
  let externalOutput = '';

  beforeAll(async () => {
    await expect(engine.send(new DescribeTableCommand({ TableName: tableName }))).rejects.toThrow(/not found|non-existent/i);
    externalPort = await freePort();
    const launched = await launch({ PORT: String(externalPort), DATA_DIR: externalDataDir, DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName });
    external = launched.child;
    externalOutput = launched.output();
  }, 90_000);

  afterAll(async () => {
    await stopGroup(external);
    engine.destroy();
    rmSync(externalDataDir, { recursive: true, force: true });
  });

  it('starts no DynamoDB Local and says which DynamoDB it uses', async () => {
    expect(externalOutput).toContain(`DYNAMODB_ENDPOINT=${endpoint}`);
    expect(externalOutput).not.toContain('DynamoDB Local on');
    expect(await groupCommands(external!)).not.toContain('java');
    expect(existsSync(path.join(externalDataDir, 'dynamodb'))).toBe(false);
  });

  it('creates the missing table on that engine, and writes there', async () => {
    const described = await engine.send(new DescribeTableCommand({ TableName: tableName }));
    expect(described.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);

    const printed = (await token('77', undefined, externalDataDir)).trim();
    const url = `http://127.0.0.1:${externalPort}/api/account/77/configuration/le-agents/status-reasons`;
    const created = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${printed}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Written elsewhere', state: 'Away' }),
    });
    expect(created.status).toBe(200);

    const scanned = await engine.send(new ScanCommand({ TableName: tableName }));
    expect(scanned.Items?.some((item) => item.text?.S === 'Written elsewhere')).toBe(true);
  }, 60_000);
});
