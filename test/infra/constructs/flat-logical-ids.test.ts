import { App, CfnResource, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { BUILD_TIMEOUT_MS } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { FlatScope, LogicalIdRegistry, makeUniqueId } from '../../../infra/constructs/flat-logical-ids.js';

class FlatStack extends Stack {
  private readonly ids = new LogicalIdRegistry();
  protected override allocateLogicalId(element: CfnElement): string {
    return this.ids.allocate(this, element);
  }
}
const resource = (scope: Construct, id: string) => new CfnResource(scope, id, { type: 'Test::Thing' });
const idOf = (element: CfnElement) => Stack.of(element).resolve(element.logicalId) as string;

describe('flat logical ids', { timeout: BUILD_TIMEOUT_MS }, () => {
  it("compute CDK's own id for the same path (the plain stack's ids are the reference)", () => {
    const plain = new Stack(new App(), 'Plain');
    const cases = [['Table'], ['HttpApi', 'POST--a--{b}', 'Resource'], ['UserPool', 'Domain', 'Resource'], ['A', 'Default', 'B'], ['Fn', 'FnRole', 'DefaultPolicy', 'Resource']];
    for (const path of cases) {
      let scope: Construct = plain;
      for (const id of path.slice(0, -1)) scope = scope.node.tryFindChild(id) ?? new Construct(scope, id);
      expect(makeUniqueId(path)).toBe(idOf(resource(scope, path[path.length - 1]!)));
    }
  });

  it('leave FlatScopes out: a resource under one keeps the id it has at the top', () => {
    const top = resource(new Stack(new App(), 'A'), 'Table');
    const flat = new FlatStack(new App(), 'B');
    const nested = resource(new Construct(new FlatScope(flat, 'Data'), 'Inner'), 'Table');
    const plainNested = resource(new Construct(new Stack(new App(), 'C'), 'Inner'), 'Table');
    expect(idOf(resource(new FlatScope(flat, 'Data2'), 'Table2'))).toBe('Table2');
    expect(idOf(nested)).toBe(idOf(plainNested));
    expect(idOf(top)).toBe('Table');
  });

  it('refuse two resources that would take one id', () => {
    const flat = new FlatStack(new App(), 'D');
    resource(new FlatScope(flat, 'One'), 'Same');
    resource(new FlatScope(flat, 'Two'), 'Same');
    expect(() => Template.fromStack(flat)).toThrow(/logical id Same of D\/Two\/Same is already D\/One\/Same's/);
  });
});

describe('the service stack', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('keeps the logical ids of the single-scope stack for its stateful and referenced resources', async () => {
    const { buildStack } = await import('../helpers.js');
    const { stack } = buildStack({}, { machineClients: '123' });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
    const ids = (type: string) => Object.keys(resources).filter((id) => resources[id]!.Type === type);
    expect(ids('AWS::DynamoDB::GlobalTable')).toEqual(['TableCD117FA1']);
    expect(ids('AWS::Cognito::UserPool')).toEqual(['UserPool6BA7E5F2']);
    expect(ids('AWS::Cognito::UserPoolClient')).toEqual(['UserPoolMachineClient123957BCD51']);
    // The Lambda authorizer and the change publisher are new; the others keep their ids.
    expect(ids('AWS::Lambda::Function').sort()).toEqual(['AWS679f53fac002430cb0da5b7982bd22872D164C4C', 'AuthorizerBD825682', 'Function76856677', 'HttpFunctionBE9A6E0D', 'PreTokenGenerationAEF6E6B3', 'PublishChangesFunction04883304'].sort());
    expect(ids('AWS::ApiGatewayV2::Api')).toEqual(['HttpApiF5A9A8A7']);
    expect(ids('AWS::SecretsManager::Secret')).toEqual(['ConnectNextTokenSecret747A01DE']);
  }, 120_000);
});
