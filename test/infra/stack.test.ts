// The synthesized CloudFormation of AgentStatusReasonsStack, resource by resource.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CONNECT_CATCH_ALL_ROUTES, CONNECT_ROUTES } from '../../functions/adapters/connect/routes.js';
import { NEXT_TOKEN_SECRET_ARN_ENV } from '../../functions/adapters/connect/routes.js';
import {
  ACCESS_LOG_FIELDS,
  CONNECT_PATH,
  DEFAULT_LIMITS,
  ENTRIES,
  LEASE_MS,
  AUTHORIZER_CACHE_SECONDS,
  PROJECT_ROOT,
  STACK_NAME,
  STATUS_REASON_PATH,
  STATUS_REASONS_PATH,
  TABLE_ACTIONS,
  stackNameFor,
  type AgentStatusReasonsStack,
} from '../../infra/stack.js';
import { BUILD_TIMEOUT_MS, buildStack } from './helpers.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

/** The logical id of a construct's CloudFormation resource. */
const logicalId = (construct: { node: { defaultChild?: unknown } } | CfnElement): string => {
  const element = construct instanceof CfnElement ? construct : (construct.node.defaultChild as CfnElement);
  return Stack.of(element).resolve(element.logicalId) as string;
};

const only = <T>(record: Record<string, T>): [string, T] => {
  const entries = Object.entries(record);
  expect(entries).toHaveLength(1);
  return entries[0]!;
};
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let stack: AgentStatusReasonsStack;
let template: Template;
let tableId: string;
/** The HTTP function (API Gateway's), the direct-invoke one, the pre-token trigger, the Lambda authorizer. */
let httpId: string;
let invokeId: string;
let triggerId: string;
let publisherId: string;
let authorizerId: string;
let httpRoleId: string;
let invokeRoleId: string;
let triggerRoleId: string;

beforeAll(() => {
  stack = buildStack().stack;
  template = Template.fromStack(stack);
  tableId = only(template.findResources('AWS::DynamoDB::GlobalTable'))[0];
  [httpId, invokeId, triggerId, authorizerId] = [stack.httpFunction, stack.invokeFunction, stack.preTokenFunction!, stack.authorizerFunction!].map(logicalId) as [string, string, string, string];
  publisherId = logicalId(stack.events.publisher);
  [httpRoleId, invokeRoleId, triggerRoleId] = [stack.httpFunction, stack.invokeFunction, stack.preTokenFunction!].map((fn) => logicalId(fn.role!)) as [string, string, string];
}, BUILD_TIMEOUT_MS);

const policiesOfRole = (t: Template, id: string): Resource[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify((p as Resource).Properties.Roles).includes(`"${id}"`)) as Resource[];
const statementsOf = (policies: Resource[]): Statement[] => policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const envOf = (t: Template, id: string) => ((t.findResources('AWS::Lambda::Function')[id] as Resource).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('AgentStatusReasonsStack', () => {
  it('is named AgentStatusReasons and bundles one entry per caller by default', () => {
    expect(stack.stackName).toBe(STACK_NAME);
    expect(STACK_NAME).toBe('AgentStatusReasons');
    expect(ENTRIES).toEqual({
      http: `${PROJECT_ROOT}/functions/entry/http.ts`,
      invoke: `${PROJECT_ROOT}/functions/entry/invoke.ts`,
      preTokenGeneration: `${PROJECT_ROOT}/functions/entry/pre-token-generation.ts`,
      publishChanges: `${PROJECT_ROOT}/functions/entry/publish-changes.ts`,
      authorizer: `${PROJECT_ROOT}/functions/entry/authorizer.ts`,
    });
  });

  describe('Lambda functions', () => {
    it('are five: HTTP, direct invoke, pre-token trigger, change publisher, authorizer; all Node.js 24 on arm64 with 512 MB; 10 s timeouts, 5 s for the trigger (what Cognito waits) and the authorizer, 60 s for the publisher', () => {
      expect(Object.keys(template.findResources('AWS::Lambda::Function')).sort()).toEqual([httpId, invokeId, triggerId, publisherId, authorizerId].sort());
      for (const id of [httpId, invokeId, triggerId, publisherId, authorizerId]) {
        expect((template.findResources('AWS::Lambda::Function')[id] as Resource).Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          MemorySize: 512,
          Timeout: id === triggerId || id === authorizerId ? 5 : id === publisherId ? 60 : 10,
          Handler: 'index.handler',
        });
      }
      // The two that serve requests are traced.
      for (const id of [httpId, invokeId]) expect((template.findResources('AWS::Lambda::Function')[id] as Resource).Properties.TracingConfig).toEqual({ Mode: 'Active' });
    });

    it('keep the direct-invoke function at the construct id the single function had (its exported ARN stays the same)', () => {
      expect(invokeId).toMatch(/^Function[0-9A-F]{8}$/);
      expect(httpId).toMatch(/^HttpFunction/);
    });

    it('every function, the trigger and the authorizer included, loads the source map it ships', () => {
      const functions = template.findResources('AWS::Lambda::Function');
      const ours = Object.entries(functions).filter(([, fn]) => (fn as { Properties: { Handler?: string } }).Properties.Handler?.startsWith('index.'));
      expect(ours.length).toBeGreaterThanOrEqual(4);
      for (const [id, fn] of ours) expect([id, (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables?.NODE_OPTIONS]).toEqual([id, '--enable-source-maps']);
    });

    it('have the environment each handler reads, with a lease longer than the timeout', () => {
      const [secretId] = only(template.findResources('AWS::SecretsManager::Secret'));
      const common = { TABLE_NAME: { Ref: tableId }, POWERTOOLS_SERVICE_NAME: 'agent-status-reasons', NODE_OPTIONS: '--enable-source-maps' };
      // The writers purge the change history by its keep-limits (the defaults unless set).
      const keep = { HISTORY_MAX_AGE_DAYS: '35', HISTORY_MAX_BYTES: String(16 * 1024 * 1024) };
      expect(envOf(template, httpId)).toEqual({
        ...common,
        ...keep,
        LEASE_MS: '20000',
        ACCOUNT_CLAIM: 'account',
        RESOURCE_SERVER_IDENTIFIER: 'agent-status-reasons',
        CONNECT_INSTANCE_GRANTS: 'table',
        // The secret's ARN: the function reads the value at run time (no value in the template or the environment).
        [NEXT_TOKEN_SECRET_ARN_ENV]: { Ref: secretId },
      });
      expect(envOf(template, invokeId)).toEqual({ ...common, ...keep, LEASE_MS: '20000' });
      expect(envOf(template, triggerId)).toEqual({ ...common, ACCOUNT_CLAIM: 'account', RESOURCE_SERVER_IDENTIFIER: 'agent-status-reasons', WRITER_GROUP: 'status-reasons-admins' });
      expect(LEASE_MS).toBeGreaterThan(10 * 1000);
    });

    it('lets the HTTP function, and no other, read the NextToken secret at run time (GetSecretValue on that secret only)', () => {
      const [secretId] = only(template.findResources('AWS::SecretsManager::Secret'));
      const readers = statementsOf(Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]).filter((st) => asArray(st.Action).includes('secretsmanager:GetSecretValue'));
      expect(readers).toEqual([expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: secretId } })]);
      expect(statementsOf(policiesOfRole(template, httpRoleId))).toContainEqual(readers[0]);
    });

    it("take the change history's keep-limits from context, both writing functions alike", () => {
      const t = Template.fromStack(buildStack({}, { historyMaxAgeDays: '7', historyMaxBytes: String(2 ** 21) }).stack);
      const writers = Object.keys(t.findResources('AWS::Lambda::Function')).filter((id) => /^(Http)?Function[0-9A-F]{8}$/.test(id));
      expect(writers).toHaveLength(2);
      for (const id of writers) expect(envOf(t, id)).toMatchObject({ HISTORY_MAX_AGE_DAYS: '7', HISTORY_MAX_BYTES: '2097152' });
    });

    it('take the account claim and the resource server from context, and refuse a claim Cognito or the API reserves', () => {
      const t = Template.fromStack(buildStack({}, { accountClaim: 'tenant', jwtIssuer: 'https://idp.example.com/', jwtAudience: 'a', resourceServer: 'api://x' }).stack);
      const [fnId] = Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('HttpFunction'))!;
      expect(envOf(t, fnId)).toMatchObject({ ACCOUNT_CLAIM: 'tenant', RESOURCE_SERVER_IDENTIFIER: 'api://x' });
      const external = Template.fromStack(buildStack({}, { jwtIssuer: 'https://idp.example.com/', jwtAudience: 'a' }).stack);
      const [externalId] = Object.entries(external.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('HttpFunction'))!;
      expect(envOf(external, externalId)).not.toHaveProperty('RESOURCE_SERVER_IDENTIFIER');
      for (const claim of ['scope', 'client_id', 'sub', 'aud', 'has space', '']) {
        if (claim) expect(() => buildStack({ accountClaim: claim })).toThrow(/accountClaim/);
      }
    }, BUILD_TIMEOUT_MS);

    it('each log to their own log group kept for one month', () => {
      for (const fn of [stack.httpFunction, stack.invokeFunction, stack.preTokenFunction!]) {
        const props = (template.findResources('AWS::Lambda::Function')[logicalId(fn)] as Resource).Properties as { LoggingConfig: { LogGroup: { Ref: string } } };
        const logGroup = template.findResources('AWS::Logs::LogGroup')[props.LoggingConfig.LogGroup.Ref] as Resource;
        expect(logGroup.Properties.RetentionInDays).toBe(30);
      }
    });

    it('take their memory size from the memorySize context', () => {
      const t = Template.fromStack(buildStack({}, { memorySize: 1024 }).stack);
      for (const fn of Object.values(t.findResources('AWS::Lambda::Function')) as Resource[]) expect(fn.Properties.MemorySize).toBe(1024);
    }, BUILD_TIMEOUT_MS);

    it('rejects an impossible memory size', () => {
      expect(() => buildStack({ memorySize: 64 })).toThrow(/memorySize/);
    });
  });

  describe('DynamoDB table', () => {
    it('has pk/sk string keys, on-demand billing, PITR, deletion protection and KMS encryption', () => {
      template.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: Match.arrayWith([
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ]),
          BillingMode: 'PAY_PER_REQUEST',
          // AWS managed key (aws/dynamodb): SSE on, type KMS, no customer key.
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
          Replicas: [
            Match.objectLike({
              DeletionProtectionEnabled: true,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            }),
          ],
        },
      });
      const table = template.findResources('AWS::DynamoDB::GlobalTable')[tableId] as Resource;
      expect(JSON.stringify(table)).not.toContain('KMSMasterKeyId');
      expect(table.Properties.AttributeDefinitions).toHaveLength(2);
      expect(table.Properties).not.toHaveProperty('GlobalSecondaryIndexes');
    });
  });

  describe('IAM', () => {
    it("gives the HTTP and direct-invoke functions' roles exactly the listed DynamoDB actions, on the table's ARN only", () => {
      for (const roleId of [httpRoleId, invokeRoleId]) {
        const statements = statementsOf(policiesOfRole(template, roleId));
        const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${tableId}"`));
        expect(onTable).toHaveLength(1);
        expect(onTable[0]!.Effect).toBe('Allow');
        expect(onTable[0]!.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
        expect([...asArray(onTable[0]!.Action)].sort()).toEqual([...TABLE_ACTIONS].sort());
        // No DynamoDB action anywhere else in the role's policies.
        expect(statements.flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([...TABLE_ACTIONS].sort());
      }
      expect([...TABLE_ACTIONS].sort()).toEqual(
        ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'].sort(),
      );
    });

    it("gives the pre-token trigger GetItem on the table's CLIENT# items and nothing else but its logs", () => {
      const statements = statementsOf(policiesOfRole(template, triggerRoleId));
      expect(statements.filter((s) => !asArray(s.Action).every((a) => a.startsWith('logs:')))).toEqual([
        {
          Sid: 'MachineClientItems',
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLIENT#*'] } },
        },
      ]);
    });

    it('has no wildcard action anywhere and no wildcard resource on a DynamoDB statement', () => {
      const all = statementsOf(Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]);
      for (const s of all) {
        for (const action of asArray(s.Action)) expect(action).not.toMatch(/\*/);
        // dynamodb:ListStreams takes no resource-level permission (the stream mapping calls it).
        if (asArray(s.Action).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:ListStreams')) {
          for (const r of asArray(s.Resource)) expect(JSON.stringify(r)).not.toMatch(/\*/);
        }
      }
      // The only "*" resources are X-Ray's (no resource-level permissions), added by tracing: ACTIVE to the two traced functions, and the publisher's ListStreams.
      const starResources = all.filter((s) => asArray(s.Resource).includes('*'));
      expect(starResources.flatMap((s) => asArray(s.Action)).sort()).toEqual(['dynamodb:ListStreams', 'xray:PutTelemetryRecords', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments', 'xray:PutTraceSegments']);
    });

    it('uses no AWS managed policy, and each function writes logs only to its own log group', () => {
      for (const fn of [stack.httpFunction, stack.invokeFunction, stack.preTokenFunction!]) {
        const roleId = logicalId(fn.role!);
        expect((template.findResources('AWS::IAM::Role')[roleId] as Resource).Properties).not.toHaveProperty('ManagedPolicyArns');
        const logs = statementsOf(policiesOfRole(template, roleId)).filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
        expect(logs).toHaveLength(1);
        expect([...asArray(logs[0]!.Action)].sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        const props = (template.findResources('AWS::Lambda::Function')[logicalId(fn)] as Resource).Properties as { LoggingConfig: { LogGroup: { Ref: string } } };
        expect(logs[0]!.Resource).toEqual({ 'Fn::GetAtt': [props.LoggingConfig.LogGroup.Ref, 'Arn'] });
      }
    });
  });

  describe('entry points that cannot be confused', () => {
    const permissionsOf = (t: Template, fnId: string) =>
      (Object.values(t.findResources('AWS::Lambda::Permission')) as Resource[]).filter((p) => JSON.stringify(p.Properties.FunctionName).includes(`"${fnId}"`));

    it('the HTTP function may be invoked by API Gateway, from this API only, and by nothing else', () => {
      const [apiId] = only(template.findResources('AWS::ApiGatewayV2::Api'));
      const permissions = permissionsOf(template, httpId);
      expect(permissions.length).toBe(6 + CONNECT_ROUTES.length + CONNECT_CATCH_ALL_ROUTES.length); // one per route: six LivePerson ones, the Connect ones and their catch-alls
      for (const p of permissions) {
        expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
        expect(p.Properties.Action).toBe('lambda:InvokeFunction');
        expect(JSON.stringify(p.Properties.SourceArn)).toContain(`{"Ref":"${apiId}"}`);
      }
      // No identity policy in the stack lets anyone invoke it.
      const invokeGrants = statementsOf(Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]).filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'));
      for (const s of invokeGrants) expect(JSON.stringify(s.Resource)).not.toContain(`"${httpId}"`);
    });

    it('the direct-invoke function has no resource policy at all (IAM grants decide), and the API does not integrate it', () => {
      expect(permissionsOf(template, invokeId)).toEqual([]);
      for (const integration of Object.values(template.findResources('AWS::ApiGatewayV2::Integration')) as Resource[]) {
        expect(integration.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [httpId, 'Arn'] });
      }
    });

    it("grantInvoke, the direct invokers' grant, grants exactly the direct-invoke function: a forged API Gateway event cannot reach the HTTP one", () => {
      const { stack: s } = buildStack();
      const invoker = new iam.Role(s, 'Invoker', { assumedBy: new iam.AccountRootPrincipal() });
      s.grantInvoke(invoker);
      const t = Template.fromStack(s);
      const statements = statementsOf(policiesOfRole(t, logicalId(invoker)));
      expect(statements).toHaveLength(1);
      expect(statements[0]!.Action).toBe('lambda:InvokeFunction');
      const resources = asArray(statements[0]!.Resource).map((r) => JSON.stringify(r));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r).toContain(`"${logicalId(s.invokeFunction)}","Arn"`);
      expect(resources.join()).not.toContain(logicalId(s.httpFunction));
    }, BUILD_TIMEOUT_MS);
  });

  describe('HTTP API', () => {
    // With the stack's own pool the LivePerson routes use the Lambda authorizer (CUSTOM).
    const expectedRoutes: [string, 'CUSTOM' | 'AWS_IAM'][] = [
      [`POST ${STATUS_REASONS_PATH}`, 'CUSTOM'],
      [`GET ${STATUS_REASONS_PATH}`, 'CUSTOM'],
      [`GET ${STATUS_REASON_PATH}`, 'CUSTOM'],
      [`PUT ${STATUS_REASON_PATH}`, 'CUSTOM'],
      [`DELETE ${STATUS_REASON_PATH}`, 'CUSTOM'],
      [`POST ${STATUS_REASON_PATH}`, 'CUSTOM'],
      ...[...CONNECT_ROUTES, ...CONNECT_CATCH_ALL_ROUTES].map(({ method, path }): [string, 'AWS_IAM'] => [`${method} ${path}`, 'AWS_IAM']),
    ];

    it('has exactly the LivePerson and Connect routes, with their authorization types', () => {
      expect(expectedRoutes.map(([key]) => key)).toEqual([
        'POST /api/account/{accountId}/configuration/le-agents/status-reasons',
        'GET /api/account/{accountId}/configuration/le-agents/status-reasons',
        'GET /api/account/{accountId}/configuration/le-agents/status-reasons/{statusReasonId}',
        'PUT /api/account/{accountId}/configuration/le-agents/status-reasons/{statusReasonId}',
        'DELETE /api/account/{accountId}/configuration/le-agents/status-reasons/{statusReasonId}',
        'POST /api/account/{accountId}/configuration/le-agents/status-reasons/{statusReasonId}',
        'PUT /agent-status/{InstanceId}',
        'GET /agent-status/{InstanceId}',
        'GET /agent-status/{InstanceId}/{AgentStatusId}',
        'POST /agent-status/{InstanceId}/{AgentStatusId}',
        'POST /search-agent-statuses',
        'POST /tags/{resourceArn+}',
        'DELETE /tags/{resourceArn+}',
        'GET /tags/{resourceArn+}',
        // Every other method and path under the Connect prefixes: to the function (ResourceNotFoundException), not API Gateway's bare 404.
        'ANY /agent-status',
        'ANY /agent-status/{InstanceId}',
        'ANY /agent-status/{InstanceId}/{AgentStatusId+}',
        'ANY /search-agent-statuses',
        'ANY /search-agent-statuses/{proxy+}',
        'ANY /tags',
        'ANY /tags/{resourceArn+}',
      ]);
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
      const actual = routes.map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType]);
      expect(actual.sort()).toEqual(expectedRoutes.map(([k, a]) => [k, a]).sort());
      const [authorizerId] = only(template.findResources('AWS::ApiGatewayV2::Authorizer'));
      for (const r of routes) {
        if (r.Properties.AuthorizationType === 'CUSTOM') expect(r.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
        else expect(r.Properties).not.toHaveProperty('AuthorizerId');
      }
    });

    it('names each path variable as every other route names that level under the same parent (API Gateway refuses two names there: ConflictException)', () => {
      const names = new Map<string, Set<string>>();
      for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[]) {
        const segments = (route.Properties.RouteKey as string).split(' ')[1]!.split('/');
        segments.forEach((segment, i) => {
          const variable = /^\{(\w+)\+?\}$/.exec(segment)?.[1];
          if (!variable) return;
          const parent = segments.slice(0, i).join('/');
          names.set(parent, (names.get(parent) ?? new Set()).add(variable));
        });
      }
      expect(names.size).toBeGreaterThan(0);
      for (const [parent, variables] of names) expect([...variables], parent).toHaveLength(1);
    });

    it('is an HTTP API whose one Lambda integration uses payload format 2.0', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [httpId, 'Arn'] },
      });
    });

    it("checks the tokens of the Cognito pool it creates with a Lambda authorizer: simple responses, cached per Authorization header, the pool's issuer, tenants from CLIENT# items", () => {
      const [poolId] = only(template.findResources('AWS::Cognito::UserPool'));
      template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
      const [, authorizer] = only(template.findResources('AWS::ApiGatewayV2::Authorizer')) as [string, Resource];
      expect(authorizer.Properties).toMatchObject({
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
      });
      expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(`"${authorizerId}","Arn"`);
      expect(authorizer.Properties).not.toHaveProperty('JwtConfiguration');
      expect(envOf(template, authorizerId)).toEqual({
        TABLE_NAME: { Ref: tableId },
        POWERTOOLS_SERVICE_NAME: 'agent-status-reasons',
        NODE_OPTIONS: '--enable-source-maps',
        TOKEN_ISSUER: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: poolId }]] },
        ACCOUNT_CLAIM: 'account',
        RESOURCE_SERVER_IDENTIFIER: 'agent-status-reasons',
      });
      // Its role: GetItem on CLIENT# items, and its logs; nothing that grows with tenants.
      const statements = statementsOf(policiesOfRole(template, logicalId(stack.authorizerFunction!.role!)));
      const onTable = statements.filter((st) => JSON.stringify(st.Action).includes('dynamodb'));
      expect(onTable).toEqual([expect.objectContaining({ Action: 'dynamodb:GetItem', Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLIENT#*'] } } })]);
      // API Gateway, from this API only, may invoke it.
      const permissions = (Object.values(template.findResources('AWS::Lambda::Permission')) as Resource[]).filter((p) => JSON.stringify(p.Properties.FunctionName).includes(`"${authorizerId}"`));
      expect(permissions.map((p) => p.Properties.Principal)).toEqual(['apigateway.amazonaws.com']);
    });

    it('creates a resource server with the read and write scopes, and a Cognito domain', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
        Identifier: 'agent-status-reasons',
        Scopes: [
          Match.objectLike({ ScopeName: 'status-reasons:read' }),
          Match.objectLike({ ScopeName: 'status-reasons:write' }),
        ],
      });
      template.hasResourceProperties('AWS::Cognito::UserPool', {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UserPoolTier: 'ESSENTIALS',
      });
      template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    });

    it('uses the jwtIssuer/jwtAudience context instead, and then creates no user pool', () => {
      const t = Template.fromStack(
        buildStack({}, { jwtIssuer: 'https://idp.example.com/', jwtAudience: 'aud-1, aud-2' }).stack,
      );
      t.resourceCountIs('AWS::Cognito::UserPool', 0);
      t.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        JwtConfiguration: { Issuer: 'https://idp.example.com/', Audience: ['aud-1', 'aud-2'] },
      });
      expect(Object.keys(t.findOutputs('*')).sort()).toEqual(['AlarmTopicArn', 'ApiUrl', 'ChangeEventBusName', 'DashboardName', 'FunctionArn', 'FunctionName', 'HttpFunctionName', 'NextTokenSecretName', 'TableName']);
      // No pool, so no trigger either (the HTTP, direct-invoke and change-publisher functions).
      t.resourceCountIs('AWS::Lambda::Function', 3);
    }, BUILD_TIMEOUT_MS);

    it('refuses an external issuer without an audience', () => {
      expect(() => buildStack({}, { jwtIssuer: 'https://idp.example.com/' })).toThrow(/jwtAudience/);
    });

    it('writes JSON access logs of the $default stage to a log group kept for one month', () => {
      const [, stage] = only(template.findResources('AWS::ApiGatewayV2::Stage')) as [string, Resource];
      expect(stage.Properties.StageName).toBe('$default');
      expect(stage.Properties.AutoDeploy).toBe(true);
      const settings = stage.Properties.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string, string] }; Format: string };
      const logGroupId = settings.DestinationArn['Fn::GetAtt'][0];
      expect(logGroupId).toMatch(/^ApiAccessLogs/);
      expect((template.findResources('AWS::Logs::LogGroup')[logGroupId] as Resource).Properties.RetentionInDays).toBe(30);
      expect(JSON.parse(settings.Format)).toEqual(ACCESS_LOG_FIELDS);
      expect(settings.Format).toContain('$context.requestId');
    });

    it('takes a custom domain from context: its URL and DNS target as outputs; with the execute-api endpoint disabled, ApiUrl and the console\'s /api/* origin are the custom domain', () => {
      const domain = { apiDomainName: 'api.example.com', apiCertificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abc-123' };
      const plain = Template.fromStack(buildStack({}, domain).stack);
      plain.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
      plain.resourceCountIs('AWS::Route53::RecordSet', 0);
      plain.hasOutput('ApiCustomUrl', { Value: 'https://api.example.com' });
      plain.hasOutput('ApiDomainTarget', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiDomainName'), 'RegionalDomainName'] } });
      plain.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HttpApi'), 'ApiEndpoint'] } });

      const only = Template.fromStack(buildStack({}, { ...domain, apiHostedZoneId: 'Z0123456789ABCDEFGHIJ', disableExecuteApiEndpoint: 'true', console: 'true' }).stack);
      only.hasResourceProperties('AWS::Route53::RecordSet', { HostedZoneId: 'Z0123456789ABCDEFGHIJ', Name: 'api.example.com.', Type: 'A' });
      only.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
      only.hasOutput('ApiUrl', { Value: 'https://api.example.com' });
      only.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: { Origins: Match.arrayWith([Match.objectLike({ DomainName: 'api.example.com', CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) })]) },
      });
      // Without the custom domain nothing of it is made.
      expect(Object.keys(template.findOutputs('*'))).not.toContain('ApiCustomUrl');
      template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    }, BUILD_TIMEOUT_MS);

    it('refuses a custom domain without its certificate, and a certificate of another region than the stack\'s', () => {
      expect(() => buildStack({}, { apiDomainName: 'api.example.com' })).toThrow(/^apiCertificateArn=null is refused: required with apiDomainName/);
      expect(() => buildStack({ env: { region: 'eu-west-1' } }, { apiDomainName: 'api.example.com', apiCertificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/abc-123' })).toThrow(
        /the certificate is in aws\/us-east-1, the stack in aws\/eu-west-1/,
      );
    });
  });

  describe('alarms', () => {
    const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];

    it('has fourteen alarms: errors, throttles, 5xx, table, unknown outcomes, takeovers, stage 429s, full lease lines, change events dead-lettered, and one duration alarm per function (five)', () => {
      expect(alarms()).toHaveLength(14);
    });

    it('reads as many alarm metrics (what CloudWatch bills) as docs/operations.md prices', () => {
      // A metric math alarm is billed per metric its expression reads; a plain alarm is one metric.
      const billed = alarms().reduce((sum, alarm) => {
        const metrics = alarm.Properties.Metrics as { MetricStat?: unknown }[] | undefined;
        return sum + (metrics ? metrics.filter((m) => m.MetricStat).length : 1);
      }, 0);
      const docs = readFileSync(path.join(PROJECT_ROOT, 'docs', 'operations.md'), 'utf8');
      const documented = /^\| alarm metrics \(standard resolution\) \| (\d+) \|/m.exec(docs)?.[1];
      expect(billed).toBe(Number(documented));
      expect(docs).toContain(`| alarms, per month (× $0.10) | **$${(billed * 0.1).toFixed(2)}** |`);
    });

    it("alarms on every function's Errors, summed, at the first one; on Throttles as a sustained share of attempts", () => {
      for (const [metricName, prefix] of [['Errors', ''], ['Throttles', 't']] as const) {
        const alarm = alarms().find((a) => JSON.stringify(a.Properties.Metrics ?? '').includes(`"MetricName":"${metricName}"`))!;
        const metrics = alarm.Properties.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Stat: string } }[];
        expect(metrics.map((m) => m.Expression).filter(Boolean)).toContain(`SUM([FILL(${prefix}http, 0), FILL(${prefix}invoke, 0), FILL(${prefix}trigger, 0), FILL(${prefix}events, 0), FILL(${prefix}authorizer, 0)])`);
        const byId = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!]));
        for (const [id, fnId] of [['http', httpId], ['invoke', invokeId], ['trigger', triggerId], ['events', publisherId], ['authorizer', authorizerId]] as const) {
          expect(byId[`${prefix}${id}`]).toEqual({ Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }] }, Period: 300, Stat: 'Sum' });
        }
        if (metricName === 'Errors') expect(alarm.Properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
        else expect(alarm.Properties).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
      }
    });

    it('alarms on the change events\' dead-letter queue at its first message, and notifies on it', () => {
      const queueId = logicalId(stack.events.deadLetterQueue);
      const watching = alarms().filter((a) => JSON.stringify(a.Properties.Dimensions ?? a.Properties.Metrics ?? '').includes(`"${queueId}"`));
      expect(watching).toHaveLength(1);
      expect(watching[0]!.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [expect.anything()],
      });
    });

    it.each([
      ['OutcomeUnknownAlarm', 'WritesOutcomeUnknown'],
      ['LeaseTakeoversAlarm', 'LeaseTakeovers'],
    ])('%s: the functions\' own %s metric, at least once in 5 minutes', (alarmId, metricName) => {
      const [, alarm] = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).find(([id]) => id.startsWith(alarmId)) as [string, Resource];
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AgentStatusReasons',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'agent-status-reasons' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it("alarms on the API's unexpected 5xx rate (5xx less the designed 503s, / Count, from 100 requests)", () => {
      const [apiId] = only(template.findResources('AWS::ApiGatewayV2::Api'));
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 5,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'IF(requests >= 100, 100 * IF(FILL(errors, 0) > FILL(busy, 0), FILL(errors, 0) - FILL(busy, 0), 0) / requests, 0)', ReturnData: true }),
          Match.objectLike({
            Id: 'errors',
            MetricStat: Match.objectLike({
              Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] },
            }),
          }),
          Match.objectLike({
            Id: 'requests',
            MetricStat: Match.objectLike({
              Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] },
            }),
          }),
        ]),
      });
    });

    it("alarms on the table's throttled requests for the operations the function uses", () => {
      const tableAlarm = alarms().find((a) => JSON.stringify(a).includes('ThrottledRequests'))!;
      const metrics = tableAlarm.Properties.Metrics as { Id: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] } } }[];
      const operations = metrics
        .filter((m) => m.MetricStat)
        .map((m) => {
          expect(m.MetricStat!.Metric.MetricName).toBe('ThrottledRequests');
          expect(m.MetricStat!.Metric.Dimensions).toContainEqual({ Name: 'TableName', Value: { Ref: tableId } });
          return m.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'Operation')!.Value;
        });
      expect(operations.sort()).toEqual(
        ['GetItem', 'Query', 'UpdateItem', 'BatchWriteItem', 'TransactWriteItems', 'TransactGetItems'].sort(),
      );
    });

    it('notifies an SSL-only SNS topic of its own on alarm and on recovery; alarmEmail subscribes an address', () => {
      const [topicId] = only(template.findResources('AWS::SNS::Topic'));
      for (const a of alarms()) {
        expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
      }
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      const t = Template.fromStack(buildStack({}, { alarmEmail: 'ops@example.com' }).stack);
      const [emailTopicId] = only(t.findResources('AWS::SNS::Topic'));
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: emailTopicId } });
    }, BUILD_TIMEOUT_MS);

    it('notifies an existing topic named by alarmTopicArn instead, and makes none', () => {
      const arn = 'arn:aws:sns:eu-west-1:111122223333:pager';
      const t = Template.fromStack(buildStack({}, { alarmTopicArn: arn }).stack);
      t.resourceCountIs('AWS::SNS::Topic', 0);
      for (const a of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Resource[]) expect(a.Properties.AlarmActions).toEqual([arn]);
      t.hasOutput('AlarmTopicArn', { Value: arn });
    }, BUILD_TIMEOUT_MS);
  });

  describe('dashboard', () => {
    it('shows write outcomes, refusals by kind, lease waits and takeovers, retries by cause, the functions, the API and the table', () => {
      const [, dashboard] = only(template.findResources('AWS::CloudWatch::Dashboard')) as [string, Resource];
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      const names = [
        'WritesApplied',
        'WritesOutcomeUnknown',
        'IdempotentReplays',
        ...['Invalid', 'Duplicate', 'Limit', 'NotFound', 'RevisionConflict', 'IdempotencyMismatch', 'InProgress', 'Overloaded', 'Busy'].map((k) => `WritesRefused${k}`),
        'LeaseWaitMs',
        'LeaseTakeovers',
        'LeaseWaitGaveUp',
        'LeaseQueueFull',
        ...['Throttled', 'Unprocessed', 'ServerError', 'NoAnswer'].map((c) => `StoreRetries${c}`),
        'LostAnswersRecovered',
        'ConcurrentExecutions',
        'ThrottledRequests',
      ];
      for (const name of names) expect(body).toContain(`\\"${name}\\"`);
      expect(body).toContain('AgentStatusReasons');
      for (const fnId of [httpId, invokeId, triggerId]) expect(body).toContain(`{\"Ref\":\"${fnId}\"}`);
    });
  });

  describe('limits', () => {
    it('reserves concurrency for the HTTP and direct-invoke functions and throttles the stage (docs/operations.md, "Limits", explains the numbers)', () => {
      expect(DEFAULT_LIMITS).toEqual({ httpConcurrency: 100, invokeConcurrency: 50, apiRateLimit: 500, apiBurstLimit: 100 });
      const functions = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
      expect(functions[httpId]!.Properties.ReservedConcurrentExecutions).toBe(100);
      expect(functions[invokeId]!.Properties.ReservedConcurrentExecutions).toBe(50);
      // Cognito calls the trigger once per token (tokens last an hour): it draws on the unreserved pool.
      expect(functions[triggerId]!.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
      const [, stage] = only(template.findResources('AWS::ApiGatewayV2::Stage')) as [string, Resource];
      expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 100 });
    });

    it('takes other numbers from context, and none reserves nothing', () => {
      const t = Template.fromStack(buildStack({}, { httpConcurrency: '20', invokeConcurrency: 'none', apiRateLimit: '12.5', apiBurstLimit: '30' }).stack);
      const functions = Object.entries(t.findResources('AWS::Lambda::Function')) as [string, Resource][];
      expect(functions.find(([id]) => id.startsWith('HttpFunction'))![1].Properties.ReservedConcurrentExecutions).toBe(20);
      expect(functions.find(([id]) => /^Function[0-9A-F]{8}$/.test(id))![1].Properties).not.toHaveProperty('ReservedConcurrentExecutions');
      const [, stage] = only(t.findResources('AWS::ApiGatewayV2::Stage')) as [string, Resource];
      expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 12.5, ThrottlingBurstLimit: 30 });
    }, BUILD_TIMEOUT_MS);

    it.each([
      [{ httpConcurrency: '0' }, /^httpConcurrency="0" is refused: a positive integer or "none"/],
      [{ invokeConcurrency: '2.5' }, /^invokeConcurrency="2.5" is refused: a positive integer/],
      [{ apiRateLimit: 'fast' }, /^apiRateLimit="fast" is refused: a positive number/],
      [{ apiBurstLimit: 'none' }, /^apiBurstLimit="none" is refused: a positive integer/],
    ])('refuses %j', (context, message) => {
      expect(() => buildStack({}, context)).toThrow(message);
    });
  });

  describe('Cognito machine clients and the pre-token-generation trigger', () => {
    let t: Template;
    let withClients: AgentStatusReasonsStack;
    beforeAll(() => {
      withClients = buildStack({}, { machineClients: '123, acme-eu,123' }).stack;
      t = Template.fromStack(withClients);
    }, BUILD_TIMEOUT_MS);
    const clientIdOf = (account: string) => logicalId(withClients.machineClients.get(account)!);

    it('makes one client-credentials app client per account (repeats dropped), for both scopes, with a secret', () => {
      expect([...withClients.machineClients.keys()]).toEqual(['123', 'acme-eu']);
      const clients = t.findResources('AWS::Cognito::UserPoolClient') as Record<string, Resource>;
      expect(Object.keys(clients).sort()).toEqual([clientIdOf('123'), clientIdOf('acme-eu')].sort());
      const [serverId] = only(t.findResources('AWS::Cognito::UserPoolResourceServer'));
      for (const account of ['123', 'acme-eu']) {
        expect(clients[clientIdOf(account)]!.Properties).toMatchObject({
          ClientName: `account-${account}`,
          GenerateSecret: true,
          AllowedOAuthFlows: ['client_credentials'],
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthScopes: ['status-reasons:read', 'status-reasons:write'].map((scope) => ({ 'Fn::Join': ['', [{ Ref: serverId }, `/${scope}`]] })),
        });
      }
    });

    it('names no client in the authorizer (the Lambda authorizer reads their CLIENT# items)', () => {
      const [, authorizer] = only(t.findResources('AWS::ApiGatewayV2::Authorizer')) as [string, Resource];
      expect(authorizer.Properties.AuthorizerType).toBe('REQUEST');
      expect(JSON.stringify(authorizer)).not.toContain(clientIdOf('123'));
    });

    it('attaches the trigger as pre-token generation with event version V3_0, invocable by this pool only', () => {
      const trigger = logicalId(withClients.preTokenFunction!);
      const [poolId, pool] = only(t.findResources('AWS::Cognito::UserPool')) as [string, Resource];
      expect(pool.Properties.LambdaConfig).toEqual({ PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [trigger, 'Arn'] }, LambdaVersion: 'V3_0' } });
      const permissions = (Object.values(t.findResources('AWS::Lambda::Permission')) as Resource[]).filter((p) => JSON.stringify(p.Properties.FunctionName).includes(`"${trigger}"`));
      expect(permissions.map((p) => p.Properties)).toEqual([
        { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [trigger, 'Arn'] }, Principal: 'cognito-idp.amazonaws.com', SourceArn: { 'Fn::GetAtt': [poolId, 'Arn'] } },
      ]);
    });

    it("writes each client's account item (CLIENT#<client id>) at deploy and deletes it with the client, allowed CLIENT# items only", () => {
      const resources = Object.values(t.findResources('Custom::AWS')) as Resource[];
      expect(resources).toHaveLength(2);
      const [tableRef] = only(t.findResources('AWS::DynamoDB::GlobalTable'));
      const resolved = (v: unknown) => JSON.stringify(v);
      for (const account of ['123', 'acme-eu']) {
        const mine = resources.find((r) => resolved(r.Properties.Create).includes(`{"Ref":"${clientIdOf(account)}"}`))!;
        const create = resolved(mine.Properties.Create);
        expect(create).toContain('\\"action\\":\\"putItem\\"');
        expect(create).toContain(`\\"account\\":{\\"S\\":\\"${account}\\"}`);
        expect(create).toContain('\\"pk\\":{\\"S\\":\\"CLIENT#');
        expect(create).toContain(`{"Ref":"${tableRef}"}`);
        expect(resolved(mine.Properties.Update)).toBe(create);
        expect(resolved(mine.Properties.Delete)).toContain('\\"action\\":\\"deleteItem\\"');
      }
      const writerStatements = statementsOf(Object.values(t.findResources('AWS::IAM::Policy')) as Resource[]).filter((s) => asArray(s.Action).includes('dynamodb:PutItem') && JSON.stringify(s).includes('CLIENT#'));
      expect(writerStatements.length).toBeGreaterThan(0);
      for (const statement of writerStatements) {
        expect(statement).toMatchObject({
          Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          Resource: { 'Fn::GetAtt': [tableRef, 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLIENT#*'] } },
        });
      }
    });

    it('outputs each account\'s client id', () => {
      const output = t.findOutputs('MachineClientIds').MachineClientIds as { Value: unknown };
      const value = JSON.stringify(output.Value);
      expect(value).toContain(`{"Ref":"${clientIdOf('123')}"}`);
      expect(value).toContain('\\"acme-eu\\":');
    });

    it('refuses a bad account, more than 50 stack-made clients, and clients with an external issuer', () => {
      expect(() => buildStack({ machineClients: ['ok', 'not ok'] })).toThrow(/^machineClients="not ok" is refused/);
      expect(() => buildStack({ machineClients: Array.from({ length: 51 }, (_, i) => `a${i}`) })).toThrow(/at most 50/);
      expect(() => buildStack({ machineClients: ['1'], jwtIssuer: 'https://idp.example.com/', jwtAudience: ['a'] })).toThrow(/cannot go with jwtIssuer/);
    });
  });

  describe('per-instance grants on the Connect routes', () => {
    let t: Template;
    let granted: AgentStatusReasonsStack;
    let callerId: string;
    beforeAll(() => {
      granted = buildStack().stack;
      const caller = new iam.Role(granted, 'Caller', { assumedBy: new iam.AccountRootPrincipal(), path: '/service/' });
      granted.grantConnectInstances(caller, ['123', '456']);
      granted.grantConnectInstances(iam.Role.fromRoleArn(granted, 'Imported', 'arn:aws:iam::111122223333:role/team/sync'), ['789']);
      t = Template.fromStack(granted);
      callerId = logicalId(caller);
    }, BUILD_TIMEOUT_MS);
    const executeApiArn = (rest: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: logicalId(granted.api) }, rest]],
    });

    it('grants execute-api:Invoke on every method and path under the Connect prefixes (the routes and their catch-alls), whatever the instances (the policy does not grow with them)', () => {
      const statements = statementsOf(policiesOfRole(t, callerId));
      expect(statements).toHaveLength(1);
      expect(statements[0]!.Action).toBe('execute-api:Invoke');
      const sorted = (arns: unknown[]) => arns.map((a) => JSON.stringify(a)).sort();
      expect(sorted(asArray(statements[0]!.Resource as unknown[]))).toEqual(
        sorted(
          [
            '/$default/*/agent-status',
            '/$default/*/agent-status/*',
            '/$default/*/agent-status/*/*',
            '/$default/*/search-agent-statuses',
            '/$default/*/search-agent-statuses/*',
            '/$default/*/tags',
            '/$default/*/tags/*',
          ].map(executeApiArn),
        ),
      );
      expect(JSON.stringify(statements)).not.toMatch(/123|456/);
    });

    it("writes each grant as a GRANT#<principal> item of the table (by role name: any path, any session), which the HTTP function checks (CONNECT_INSTANCE_GRANTS=table)", () => {
      expect(envOf(t, logicalId(granted.httpFunction)).CONNECT_INSTANCE_GRANTS).toBe('table');
      const writes = (Object.values(t.findResources('Custom::AWS')) as Resource[]).map((r) => JSON.stringify(r.Properties.Create));
      expect(writes).toHaveLength(2);
      const [mine, imported] = [writes.find((w) => w.includes(callerId))!, writes.find((w) => w.includes('role/sync'))!];
      expect(mine).toContain('\\"pk\\":{\\"S\\":\\"GRANT#arn:');
      expect(mine).toContain(`":role/",{"Ref":"${callerId}"}`);
      expect(mine).toContain('\\"sk\\":{\\"S\\":\\"#STACK#0\\"}');
      expect(mine).toContain('\\"instances\\":{\\"SS\\":[\\"123\\",\\"456\\"]}');
      expect(imported).toContain('GRANT#arn:aws:iam::111122223333:role/sync');
      expect(imported).toContain('#STACK#1');
      // One statement, on GRANT# items only, whatever the number of grants.
      const writer = statementsOf(Object.values(t.findResources('AWS::IAM::Policy')) as Resource[]).filter((st) => JSON.stringify(st).includes('GRANT#'));
      expect(writer).toEqual([expect.objectContaining({ Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['GRANT#*'] } } })]);
    });

    it('refuses a grantee that is not a role or user, and an instance id that is not an account id', () => {
      const { stack: s } = buildStack();
      expect(() => s.grantConnectInstances(new iam.ServicePrincipal('lambda.amazonaws.com'), ['1'])).toThrow(/IAM role or user/);
      const role = new iam.Role(s, 'R', { assumedBy: new iam.AccountRootPrincipal() });
      expect(() => s.grantConnectInstances(role, ['*'])).toThrow(/instance id "\*"/);
      expect(() => s.grantConnectInstances(role, [])).toThrow(/at least one/);
    }, BUILD_TIMEOUT_MS);
  });

  describe('stages side by side', () => {
    it('without a stage: AgentStatusReasons, its export and its Cognito domain as before, no termination protection', () => {
      expect(stack.stackName).toBe('AgentStatusReasons');
      expect(stack.terminationProtection).toBe(false);
      template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: { 'Fn::Join': ['', ['agent-status-reasons-', { Ref: 'AWS::AccountId' }]] } });
    });

    it('a stage prefixes the stack name, its export and its Cognito domain, so two stages can share an account and region', () => {
      const names = ['staging', 'prod'].map((stage) => {
        const s = buildStack({}, { stage, terminationProtection: 'true' }).stack;
        const t = Template.fromStack(s);
        expect(s.stackName).toBe(`${stage}-AgentStatusReasons`);
        expect(s.terminationProtection).toBe(true);
        t.hasOutput('FunctionArn', { Export: { Name: `${stage}-AgentStatusReasons-FunctionArn` } });
        t.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: { 'Fn::Join': ['', [`${stage}-agent-status-reasons-`, { Ref: 'AWS::AccountId' }]] } });
        return s.stackName;
      });
      expect(new Set(names).size).toBe(2);
      expect(stackNameFor(undefined)).toBe(STACK_NAME);
      expect(() => buildStack({}, { stage: 'Prod' })).toThrow(/^stage="Prod" is refused/);
    }, BUILD_TIMEOUT_MS);

    it('refuses a misspelt context key at synth', () => {
      expect(() => buildStack({}, { machineClient: '123' })).toThrow(/did you mean machineClients\?/);
    });
  });

  describe('outputs', () => {
    it('exports ApiUrl, the functions, FunctionArn (the direct-invoke one, with an export name), TableName, the dashboard and the Cognito ids', () => {
      const [apiId] = only(template.findResources('AWS::ApiGatewayV2::Api'));
      template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
      template.hasOutput('FunctionName', { Value: { Ref: invokeId } });
      template.hasOutput('FunctionArn', {
        Value: { 'Fn::GetAtt': [invokeId, 'Arn'] },
        Export: { Name: 'AgentStatusReasons-FunctionArn' },
      });
      template.hasOutput('HttpFunctionName', { Value: { Ref: httpId } });
      template.hasOutput('TableName', { Value: { Ref: tableId } });
      template.hasOutput('UserPoolId', { Value: { Ref: only(template.findResources('AWS::Cognito::UserPool'))[0] } });
      template.hasOutput('MachineClientIds', { Value: '{}' });
      expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
        ['AlarmTopicArn', 'ApiUrl', 'ChangeEventBusName', 'DashboardName', 'FunctionArn', 'FunctionName', 'HttpFunctionName', 'MachineClientIds', 'NextTokenSecretName', 'TableName', 'TokenEndpoint', 'UserPoolId'].sort(),
      );
    });
  });
});
