import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BUILD_TIMEOUT_MS } from '../helpers.js';
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
});
