// `npm start` and `npm run token` as a newcomer uses them: the real commands,
// a real HTTP client, data kept across a restart.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { ROOT } from '../../infra/local/paths.js';
import { OPENAPI_FILE } from '../../infra/openapi.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(path.join(tmpdir(), 'asr-start-'));
let port: number;
let child: ChildProcess | undefined;
let output = '';

async function start(): Promise<void> {
  output = '';
  child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, PORT: String(port), DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Ctrl-C stops it')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

const token = async (account: string, scope?: string) => {
  const args = ['run', 'token', '--', '--account', account, ...(scope ? ['--scope', scope] : [])];
  const { stdout } = await run('npm', args, { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir } });
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
    expect(output).toMatch(/curl -s -X POST 'http:\/\/127\.0\.0\.1:\d+\/api\/account\/123\/configuration\/le-agents\/status-reasons'/);
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
