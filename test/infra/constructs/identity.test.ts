import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Identity } from '../../../infra/constructs/identity.js';
import { BUILD_TIMEOUT_MS, FIXTURE_ENTRY } from '../helpers.js';
import { withFunctions } from './support.js';

const build = (overrides: Partial<ConstructorParameters<typeof Identity>[2]> = {}) => {
  const { stack, table } = withFunctions();
  const identity = new Identity(stack, 'Identity', { table, accountClaim: 'account', cognitoDomainPrefix: 'asr-test', machineClients: [], entry: FIXTURE_ENTRY, memorySize: 256, ...overrides });
  return { stack, identity };
};

describe('Identity', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('without an external issuer: a pool, its domain, the pre-token trigger, and no audience (the Lambda authorizer knows tenants by the table)', () => {
    const { stack, identity } = build();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Cognito::UserPool', 1);
    t.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'asr-test' });
    expect(identity.preTokenFunction).toBeDefined();
    expect(identity.jwtAudience).toEqual([]);
    expect(stack.resolve(identity.jwtIssuer)).toEqual({ 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: expect.stringMatching(/UserPool/) }]] });
  });

  it('one client per account in machineClients, none of them an audience', () => {
    const { stack, identity } = build({ machineClients: ['1', '2'] });
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPoolClient', 2);
    expect([...identity.machineClients.keys()]).toEqual(['1', '2']);
    expect(identity.jwtAudience).toEqual([]);
  });

  it('with an external issuer: nothing but the issuer and audiences; machine clients refused', () => {
    const { stack, identity } = build({ externalIssuer: { issuer: 'https://idp.example.com/', audience: ['a'] } });
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPool', 0);
    expect([identity.jwtIssuer, identity.jwtAudience]).toEqual(['https://idp.example.com/', ['a']]);
    expect(() => build({ externalIssuer: { issuer: 'https://idp.example.com/', audience: ['a'] }, machineClients: ['1'] })).toThrow(/cannot go with jwtIssuer/);
  });
});
