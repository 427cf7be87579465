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

describe('IAM policy sizes', { timeout: BUILD_TIMEOUT_MS }, () => {
  it("hold every role under IAM's inline total with the most machine clients the stack takes (50), and the client writer's role does not grow with clients", () => {
    const accounts = (n: number) => Array.from({ length: n }, (_, i) => `tenant-${1000 + i}`).join(',');
    const one = inlineTotals(Template.fromStack(buildStack({}, { machineClients: accounts(1) }).stack));
    const fifty = inlineTotals(Template.fromStack(buildStack({}, { machineClients: accounts(50) }).stack));
    for (const size of Object.values(fifty)) expect(size).toBeLessThan(INLINE_TOTAL_LIMIT);
    const writer = Object.keys(fifty).find((id) => id.startsWith('MachineClientWriterRole'))!;
    // Before: 236 + 292 per client, past the limit at 34 clients.
    expect(fifty[writer]).toBe(one[writer]);
    expect(fifty[writer]).toBeLessThan(1_000);
  });

  it('hold a Connect grantee of 15 instances under the inline total (each instance adds four execute-api ARNs)', () => {
    const { stack } = buildStack();
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    stack.grantConnectInstances(caller, Array.from({ length: 15 }, (_, i) => `${100000000000 + i}`));
    const totals = inlineTotals(Template.fromStack(stack));
    const callerTotal = Object.entries(totals).find(([id]) => id.startsWith('Caller'))![1];
    expect(callerTotal).toBeLessThan(INLINE_TOTAL_LIMIT);
    // Over a managed policy's 6,144: the per-instance grant does not scale (docs/operations.md, "Limits").
    expect(callerTotal).toBeGreaterThan(6_144);
  });
});
