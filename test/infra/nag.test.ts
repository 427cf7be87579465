// cdk-nag 3 (AwsSolutions pack). In v3 a NagPack is a CDK policy-validation
// plugin (`Validations.of(app).addPlugins(new AwsSolutionsChecks(app))`), not an
// Aspect, and reports no Annotations: so instead of Annotations.findError this
// file (1) calls the pack's own `validateScope()` and expects no violation, and
// (2) synthesizes an App with the plugin registered, exactly as infra/app.ts
// does, which throws on any unacknowledged finding.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AgentStatusReasonsStack } from '../../infra/stack.js';
import { BUILD_TIMEOUT_MS, FIXTURE_ENTRY } from './helpers.js';

const outdirs: string[] = [];
// The built-in CloudFormation schema validation (a 9 MB wasm) is left to the
// `cdk synth` test (synth.test.ts); here it would only slow every synth down.
const builtinCloudFormationValidation = false;
const tempOutdir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'asr-nag-'));
  outdirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

type Variant = { name: string; context: Record<string, string> };
const variants: Variant[] = [
  { name: 'with the Cognito user pool', context: {} },
  { name: 'with the Cognito user pool and machine clients', context: { machineClients: '123,acme-eu' } },
  { name: 'with an external issuer and an alarm topic', context: { jwtIssuer: 'https://idp.example.com/', jwtAudience: 'aud', alarmEmail: 'ops@example.com' } },
  { name: 'with the admin console and the Cognito user pool', context: { console: 'true', machineClients: '123' } },
  { name: 'with the admin console and an external issuer', context: { console: 'true', jwtIssuer: 'https://idp.example.com/', jwtAudience: 'aud', consoleClientId: 'spa' } },
  {
    name: 'with a custom API domain, its alias record, the execute-api endpoint disabled and the console',
    context: {
      apiDomainName: 'api.example.com',
      apiCertificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/12345678-90ab-cdef-1234-567890abcdef',
      apiHostedZoneId: 'Z0123456789ABCDEFGHIJ',
      disableExecuteApiEndpoint: 'true',
      console: 'true',
    },
  },
];

describe.each(variants)('cdk-nag AwsSolutions, $name', ({ context }) => {
  let app: App;

  beforeAll(() => {
    app = new App({ context, outdir: tempOutdir(), builtinCloudFormationValidation });
    new AgentStatusReasonsStack(app, 'AgentStatusReasons', { entry: FIXTURE_ENTRY });
  }, BUILD_TIMEOUT_MS);

  it('reports no violation at all (errors or warnings) once the documented acknowledgements apply', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const summary = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(summary).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('synthesizes with the AwsSolutions plugin registered, as infra/app.ts does', () => {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string }[];
    };
    for (const r of report.pluginReports) expect(r.conclusion).not.toBe('failure');
  }, BUILD_TIMEOUT_MS);
});

describe('cdk-nag AwsSolutions, with the admin console in a stack whose account and region synth knows', () => {
  it('reports no violation (its acknowledgements name the CDK asset bucket as the finding does, with the literal account and region)', () => {
    const app = new App({ context: { console: 'true' }, outdir: tempOutdir(), builtinCloudFormationValidation });
    new AgentStatusReasonsStack(app, 'AgentStatusReasons', { entry: FIXTURE_ENTRY, env: { account: '111122223333', region: 'eu-west-1' } });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  }, BUILD_TIMEOUT_MS);
});

describe('cdk-nag wiring', () => {
  it('fails the synth when a finding is not acknowledged (so the checks above are live)', () => {
    const app = new App({ outdir: tempOutdir(), builtinCloudFormationValidation });
    const stack = new AgentStatusReasonsStack(app, 'AgentStatusReasons', { entry: FIXTURE_ENTRY });
    new sns.Topic(stack, 'InsecureTopic'); // AwsSolutions-SNS3: no SSL enforcement
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
  }, BUILD_TIMEOUT_MS);

  it('records a written reason for every acknowledgement', () => {
    const app = new App({ outdir: tempOutdir(), builtinCloudFormationValidation });
    const stack = new AgentStatusReasonsStack(app, 'AgentStatusReasons', { entry: FIXTURE_ENTRY });
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    // IAM5 once per traced function's role (the HTTP and the direct-invoke function) and for the change publisher's ListStreams;
    // SMG4 for the NextToken key; SQS3 for the change events' dead-letter queue (a Lambda on-failure destination).
    expect(acknowledged.map(([id]) => id.replace(/^annotation::/i, '')).sort()).toEqual([
      'AwsSolutions-COG8',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(60);
  }, BUILD_TIMEOUT_MS);
});
