// IAM's size limits, measured on the synthesized policies with realistic
// values in place of CloudFormation's references (a long region, a 12-digit
// account, table and role names as CloudFormation generates them): the
// inline policies of one role may total 10,240 characters (whitespace not
// counted), a managed policy 6,144.
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, buildStack } from './helpers.js';

const INLINE_TOTAL_LIMIT = 10_240;
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'ap-southeast-2', 'AWS::AccountId': '111122223333', 'AWS::URLSuffix': 'amazonaws.com' };

/** A reference as CloudFormation would resolve it, at its realistic length. */
function realistic(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(realistic);
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return PSEUDO[v.Ref] ?? `${v.Ref.slice(0, 40)}-1A2B3C4D5E6F7`;
    if (Array.isArray(v['Fn::GetAtt'])) return `arn:aws:dynamodb:ap-southeast-2:111122223333:table/prod-AgentStatusReasons-${String(v['Fn::GetAtt'][0]).slice(0, 40)}-1A2B3C4D5E6F7`;
    if (Array.isArray(v['Fn::Join'])) return (realistic(v['Fn::Join'][1]) as string[]).join(v['Fn::Join'][0] as string);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, realistic(x)]));
  }
  return value;
}

/** Each role's inline policies, total characters without whitespace. */
function inlineTotals(t: Template): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const policy of Object.values(t.findResources('AWS::IAM::Policy')) as { Properties: { PolicyDocument: unknown; Roles: { Ref: string }[] } }[]) {
    const size = JSON.stringify(realistic(policy.Properties.PolicyDocument)).replace(/\s/g, '').length;
    for (const role of policy.Properties.Roles) totals[role.Ref] = (totals[role.Ref] ?? 0) + size;
  }
  return totals;
}

/** Each managed policy's size without whitespace. */
function managedSizes(t: Template): number[] {
  return (Object.values(t.findResources('AWS::IAM::ManagedPolicy')) as { Properties: { PolicyDocument: unknown } }[]).map((p) => JSON.stringify(realistic(p.Properties.PolicyDocument)).replace(/\s/g, '').length);
}

const MANAGED_LIMIT = 6_144;
const accounts = (n: number) => Array.from({ length: n }, (_, i) => `tenant-${1000 + i}`);
/** Realistic instance ids: this service's InstanceId is the account id; Connect's own are 36-character UUIDs, the longer case. */
const instances = (n: number) => Array.from({ length: n }, (_, i) => `${'0'.repeat(8)}-0000-4000-8000-${String(100000000000 + i)}`);

function holdAll(t: Template): Record<string, number> {
  const totals = inlineTotals(t);
  for (const [role, size] of Object.entries(totals)) expect(size, role).toBeLessThan(INLINE_TOTAL_LIMIT);
  for (const size of managedSizes(t)) expect(size).toBeLessThan(MANAGED_LIMIT);
  return totals;
}

describe('IAM policy sizes', { timeout: BUILD_TIMEOUT_MS }, () => {
  it("hold every role under IAM's inline total with the most machine clients the stack makes (50), and the client writer's role does not grow with clients", () => {
    const one = holdAll(Template.fromStack(buildStack({}, { machineClients: accounts(1).join(',') }).stack));
    const fifty = holdAll(Template.fromStack(buildStack({}, { machineClients: accounts(50).join(',') }).stack));
    const writer = Object.keys(fifty).find((id) => id.startsWith('MachineClientWriterRole'))!;
    // Before: 236 + 292 per client, past the limit at 34 clients.
    expect(fifty[writer]).toBe(one[writer]);
    expect(fifty[writer]).toBeLessThan(1_000);
  });

  it('at 1,000 tenants registered with the command: nothing in the template names a tenant, so every role is the size it is with none', () => {
    // Tenants are CLIENT# items and Cognito app clients made by `npm run tenants -- add`: the template
    // is the one of a stack with no tenant, whatever their number (1,000 or 100,000).
    const t = Template.fromStack(buildStack().stack);
    const totals = holdAll(t);
    t.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    const [, authorizer] = Object.entries(t.findResources('AWS::ApiGatewayV2::Authorizer'))[0]!;
    expect(JSON.stringify(authorizer)).not.toContain('Audience');
    const authorizerRole = Object.keys(totals).find((id) => id.startsWith('AuthorizerRole'))!;
    expect(totals[authorizerRole]).toBeLessThan(1_000);
  });

  it("hold a grantee of 1,000 Connect instances, and the grant writer, far under IAM's limits: the same size as with one instance", () => {
    const measure = (n: number) => {
      const { stack } = buildStack();
      const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
      stack.grantConnectInstances(caller, instances(n));
      const t = Template.fromStack(stack);
      const totals = holdAll(t);
      const item = JSON.stringify(Object.values(t.findResources('Custom::AWS'))[0]).length;
      return { caller: Object.entries(totals).find(([id]) => id.startsWith('Caller'))![1], writer: Object.entries(totals).find(([id]) => id.startsWith('ConnectGrantWriterRole'))![1], item };
    };
    const one = measure(1);
    const thousand = measure(1_000);
    // Before: four execute-api ARNs per instance, 7,671 characters at 15 instances (past a managed policy's 6,144).
    expect(thousand.caller).toBe(one.caller);
    expect(thousand.caller).toBeLessThan(2_000);
    expect(thousand.writer).toBe(one.writer);
    // The grant's item holds the 1,000 ids, far under DynamoDB's 400 KB per item.
    expect(thousand.item).toBeLessThan(100_000);
  });

  it('hold 100 grantees (one grant call each) under the limits, the writer role one statement whatever their number', () => {
    const { stack } = buildStack();
    for (let i = 0; i < 100; i++) stack.grantConnectInstances(new iam.Role(stack, `Caller${i}`, { assumedBy: new iam.AccountRootPrincipal() }), instances(10));
    const totals = holdAll(Template.fromStack(stack));
    expect(Object.entries(totals).find(([id]) => id.startsWith('ConnectGrantWriterRole'))![1]).toBeLessThan(1_000);
  });
});
