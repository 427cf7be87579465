import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE } from '../../../infra/bundling.js';
import { BUNDLE_OPTIONS } from '../../bench/cold.js';
import { BUILD_TIMEOUT_MS, FIXTURE_ENTRY } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { withFunctions } from './support.js';

type Fn = { Properties: { Environment: { Variables: Record<string, unknown> }; MemorySize: number; Timeout: number; ReservedConcurrentExecutions?: number; TracingConfig?: unknown } };

describe('Functions', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('makes the HTTP and direct-invoke functions with the given memory, reservations and the environment each reads', () => {
    const { stack, functions } = withFunctions();
    const t = Template.fromStack(stack);
    const fns = t.findResources('AWS::Lambda::Function') as Record<string, Fn>;
    expect(Object.keys(fns)).toHaveLength(2);
    const http = fns[stack.resolve((functions.httpFunction.node.defaultChild as CfnElement).logicalId) as string]!;
    const invoke = fns[stack.resolve((functions.invokeFunction.node.defaultChild as CfnElement).logicalId) as string]!;
    expect(http.Properties).toMatchObject({ MemorySize: 256, Timeout: 10, ReservedConcurrentExecutions: 7, TracingConfig: { Mode: 'Active' } });
    expect(invoke.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(http.Properties.Environment.Variables).toMatchObject({ ACCOUNT_CLAIM: 'account', CONNECT_INSTANCE_GRANTS: 'table', LEASE_MS: '20000' });
    expect(http.Properties.Environment.Variables).not.toHaveProperty('RESOURCE_SERVER_IDENTIFIER');
    expect(invoke.Properties.Environment.Variables).not.toHaveProperty('CONNECT_INSTANCE_GRANTS');
  });

  it('gives each function its own role and log group, no managed policy', () => {
    const { stack } = withFunctions();
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findResources('AWS::IAM::Role'))).toHaveLength(2);
    expect(Object.keys(t.findResources('AWS::Logs::LogGroup'))).toHaveLength(2);
    for (const role of Object.values(t.findResources('AWS::IAM::Role'))) expect((role as { Properties: object }).Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  it('bundles each function as the cold-start bench bundles it (LAMBDA_BUNDLE): the same code, banner and linked map', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asr-bundle-'));
    try {
      const app = new App({ outdir: path.join(dir, 'cdk.out') });
      withFunctions(new Stack(app, 'Bundled'));
      const assembly = app.synth();
      const assets = JSON.parse(readFileSync(path.join(assembly.directory, 'Bundled.assets.json'), 'utf8')) as {
        files: Record<string, { source: { path: string; packaging?: string } }>;
      };
      // Both functions bundle the fixture to the same bytes: one asset, hashed by its output.
      const deployed = Object.values(assets.files).filter((f) => f.source.packaging === 'zip').map((f) => path.join(assembly.directory, f.source.path));
      expect(deployed).toHaveLength(1);
      // The bench's options, with the deployed target instead of the local Node's.
      await build({ ...BUNDLE_OPTIONS, target: LAMBDA_BUNDLE.target, entryPoints: [FIXTURE_ENTRY], outfile: path.join(dir, 'bench', 'index.mjs') });
      const read = (folder: string) => {
        const { sources: _paths, ...map } = JSON.parse(readFileSync(path.join(folder, 'index.mjs.map'), 'utf8')) as Record<string, unknown>;
        return { code: readFileSync(path.join(folder, 'index.mjs'), 'utf8'), map };
      };
      const bench = read(path.join(dir, 'bench'));
      expect(bench.code).toMatch(/\n\/\/# sourceMappingURL=index\.mjs\.map\n$/);
      expect(bench.map).not.toHaveProperty('sourcesContent');
      // The map's source paths are relative to where each bundle was written; the rest must match.
      expect(read(deployed[0]!)).toEqual(bench);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
