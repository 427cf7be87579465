// `npx cdk synth` of the real app (infra/app.ts via cdk.json), offline and
// without AWS credentials: it must bundle the real functions' entries with the
// local esbuild (no Docker) and pass cdk-nag and CloudFormation validation.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, STACK_NAME } from '../../infra/stack.js';

const SYNTH_TIMEOUT_MS = 180_000;
let outdir: string;
let output: string;
let seconds: number;

/** The environment of a machine with no AWS credentials, no region and no instance metadata. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^AWS_|^CDK_DEFAULT_/.test(key)) delete env[key];
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(tmpdir(), 'asr-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'asr-no-aws-credentials'),
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'asr-synth-'));
  const started = Date.now();
  output = execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
    cwd: PROJECT_ROOT,
    env: offlineEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: SYNTH_TIMEOUT_MS - 10_000,
  });
  seconds = (Date.now() - started) / 1000;
}, SYNTH_TIMEOUT_MS);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('npx cdk synth (offline, no credentials)', () => {
  it('writes the AgentStatusReasons template', () => {
    const file = path.join(outdir, `${STACK_NAME}.template.json`);
    expect(existsSync(file)).toBe(true);
    const template = JSON.parse(readFileSync(file, 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::DynamoDB::GlobalTable', 'AWS::ApiGatewayV2::Api']));
    console.info(`cdk synth took ${seconds.toFixed(1)} s`);
  });

  it('passes the cdk-nag and CloudFormation validation plugins', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string }[];
    };
    for (const r of report.pluginReports) expect(`${r.pluginName}: ${r.conclusion}`).not.toMatch(/failure/);
    expect(output).not.toMatch(/AwsSolutions-/);
  });

  it('bundles each function (HTTP, direct invoke, pre-token trigger, change publisher, Lambda authorizer) into an ES module that loads and exports handler', async () => {
    const assets = JSON.parse(readFileSync(path.join(outdir, `${STACK_NAME}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const bundles = Object.values(assets.files)
      .filter((f) => f.source.packaging === 'zip')
      .map((f) => path.join(outdir, f.source.path, 'index.mjs'));
    expect(bundles).toHaveLength(5);
    // Importing a bundle runs its top level (SDK clients, config) without calling AWS.
    const previous = { TABLE_NAME: process.env.TABLE_NAME, AWS_REGION: process.env.AWS_REGION };
    process.env.TABLE_NAME ??= 'synth-test';
    process.env.AWS_REGION ??= 'eu-west-1';
    try {
      for (const bundle of bundles) {
        expect(existsSync(bundle)).toBe(true);
        expect(existsSync(`${bundle}.map`)).toBe(true);
        expect(readFileSync(bundle, 'utf8').startsWith("import { createRequire as __asrCreateRequire } from 'node:module';")).toBe(true);
        const mod = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
        expect(typeof mod.handler).toBe('function');
      }
    } finally {
      for (const [k, v] of Object.entries(previous)) if (v === undefined) delete process.env[k];
    }
  }, 60_000);
});
