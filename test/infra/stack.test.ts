// The synthesized CloudFormation of AgentStatusReasonsStack, resource by resource.
import { beforeAll, describe, expect, it } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CONNECT_ROUTES } from '../../functions/connect/routes.js';
import { NEXT_TOKEN_SECRET_VARIABLE } from '../../infra/connect-routes.js';
import {
  ACCESS_LOG_FIELDS,
  DEFAULT_ENTRY,
  LEASE_MS,
  PROJECT_ROOT,
  STACK_NAME,
  STATUS_REASON_PATH,
  STATUS_REASONS_PATH,
  TABLE_ACTIONS,
  type AgentStatusReasonsStack,
} from '../../infra/stack.js';
import { BUILD_TIMEOUT_MS, buildStack } from './helpers.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

const only = <T>(record: Record<string, T>): [string, T] => {
  const entries = Object.entries(record);
  expect(entries).toHaveLength(1);
  return entries[0]!;
};
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let stack: AgentStatusReasonsStack;
let template: Template;
let tableId: string;
let functionId: string;
let roleId: string;

beforeAll(() => {
  stack = buildStack().stack;
  template = Template.fromStack(stack);
  tableId = only(template.findResources('AWS::DynamoDB::GlobalTable'))[0];
  functionId = only(template.findResources('AWS::Lambda::Function'))[0];
  roleId = stack.resolve((stack.fn.role!.node.defaultChild as iam.CfnRole).logicalId) as string;
}, BUILD_TIMEOUT_MS);

describe('AgentStatusReasonsStack', () => {
  it('is named AgentStatusReasons and bundles functions/handler.ts by default', () => {
    expect(stack.stackName).toBe(STACK_NAME);
    expect(STACK_NAME).toBe('AgentStatusReasons');
    expect(DEFAULT_ENTRY).toBe(`${PROJECT_ROOT}/functions/handler.ts`);
  });

  describe('Lambda function', () => {
    it('runs Node.js 24 on arm64 with 512 MB, a 10 s timeout and active tracing', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 10,
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
    });

    it('has the environment the handler reads, with a lease longer than the timeout', () => {
      const fn = template.findResources('AWS::Lambda::Function')[functionId] as Resource;
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const [secretId] = only(template.findResources('AWS::SecretsManager::Secret'));
      expect(env).toEqual({
        TABLE_NAME: { Ref: tableId },
        POWERTOOLS_SERVICE_NAME: 'agent-status-reasons',
        NODE_OPTIONS: '--enable-source-maps',
        LEASE_MS: '20000',
        // A dynamic reference, resolved at deploy time: no secret in the template.
        [NEXT_TOKEN_SECRET_VARIABLE]: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] },
      });
      expect(LEASE_MS).toBeGreaterThan((fn.Properties.Timeout as number) * 1000);
    });

    it('logs to a managed log group kept for one month', () => {
      const [logGroupId] = Object.entries(template.findResources('AWS::Logs::LogGroup')).find(([id]) =>
        id.startsWith('FunctionLogs'),
      )!;
      template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } });
      expect((template.findResources('AWS::Logs::LogGroup')[logGroupId] as Resource).Properties.RetentionInDays).toBe(30);
      template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroupId } } });
    });

    it('takes its memory size from the memorySize context', () => {
      const t = Template.fromStack(buildStack({}, { memorySize: 1024 }).stack);
      t.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024 });
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
    const policiesOfRole = (t: Template, id: string): Resource[] =>
      Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify((p as Resource).Properties.Roles).includes(`"${id}"`),
      ) as Resource[];
    const statementsOf = (policies: Resource[]): Statement[] =>
      policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

    it("gives the function's role exactly the listed DynamoDB actions, on the table's ARN only", () => {
      const statements = statementsOf(policiesOfRole(template, roleId));
      const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
      const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${tableId}"`));
      expect(onTable).toHaveLength(1);
      expect(onTable[0]!.Effect).toBe('Allow');
      expect(onTable[0]!.Resource).toEqual(tableArn);
      expect([...asArray(onTable[0]!.Action)].sort()).toEqual([...TABLE_ACTIONS].sort());
      expect([...TABLE_ACTIONS].sort()).toEqual(
        ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
      );
      // No DynamoDB action anywhere else in the role's policies.
      const dynamoActions = statements.flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('dynamodb:'));
      expect(dynamoActions.sort()).toEqual([...TABLE_ACTIONS].sort());
    });

    it('has no wildcard action anywhere and no wildcard resource on a DynamoDB statement', () => {
      const all = statementsOf(Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]);
      for (const s of all) {
        for (const action of asArray(s.Action)) expect(action).not.toMatch(/\*/);
        if (asArray(s.Action).some((a) => a.startsWith('dynamodb:'))) {
          for (const r of asArray(s.Resource)) expect(JSON.stringify(r)).not.toMatch(/\*/);
        }
      }
      // The only "*" resource is X-Ray's (no resource-level permissions), added by tracing: ACTIVE.
      const starResources = all.filter((s) => asArray(s.Resource).includes('*'));
      expect(starResources.flatMap((s) => asArray(s.Action)).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });

    it('uses no AWS managed policy and writes logs only to its own log group', () => {
      const role = template.findResources('AWS::IAM::Role')[roleId] as Resource;
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
      const logs = statementsOf(policiesOfRole(template, roleId)).filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs).toHaveLength(1);
      expect([...asArray(logs[0]!.Action)].sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(JSON.stringify(logs[0]!.Resource)).toMatch(/"FunctionLogs[0-9A-F]+","Arn"/);
    });

    it('grantInvoke lets another principal call the function (and only that function)', () => {
      const { stack: s } = buildStack();
      const invoker = new iam.Role(s, 'Invoker', { assumedBy: new iam.AccountRootPrincipal() });
      s.grantInvoke(invoker);
      s.grantConnectRouteInvoke(invoker);
      const t = Template.fromStack(s);
      const invokerId = s.resolve((invoker.node.defaultChild as iam.CfnRole).logicalId) as string;
      const statements = statementsOf(policiesOfRole(t, invokerId));
      const [fnId] = only(t.findResources('AWS::Lambda::Function'));
      const invoke = statements.find((st) => asArray(st.Action).includes('lambda:InvokeFunction'))!;
      expect(JSON.stringify(invoke.Resource)).toContain(`"${fnId}","Arn"`);
      const execute = JSON.stringify(statements.filter((st) => asArray(st.Action).includes('execute-api:Invoke')).map((st) => st.Resource));
      // CDK grants a route up to its first path variable (`*` also matches `/` in execute-api ARNs).
      for (const { method, path } of CONNECT_ROUTES) expect(execute).toContain(`/${method}${path.replace(/\{.*$/, '*')}`);
    }, BUILD_TIMEOUT_MS);
  });

  describe('HTTP API', () => {
    const expectedRoutes: [string, 'JWT' | 'AWS_IAM'][] = [
      [`POST ${STATUS_REASONS_PATH}`, 'JWT'],
      [`GET ${STATUS_REASONS_PATH}`, 'JWT'],
      [`GET ${STATUS_REASON_PATH}`, 'JWT'],
      [`PUT ${STATUS_REASON_PATH}`, 'JWT'],
      [`DELETE ${STATUS_REASON_PATH}`, 'JWT'],
      [`POST ${STATUS_REASON_PATH}`, 'JWT'],
      ...CONNECT_ROUTES.map(({ method, path }): [string, 'AWS_IAM'] => [`${method} ${path}`, 'AWS_IAM']),
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
      ]);
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
      const actual = routes.map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType]);
      expect(actual.sort()).toEqual(expectedRoutes.map(([k, a]) => [k, a]).sort());
      const [authorizerId] = only(template.findResources('AWS::ApiGatewayV2::Authorizer'));
      for (const r of routes) {
        if (r.Properties.AuthorizationType === 'JWT') expect(r.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
        else expect(r.Properties).not.toHaveProperty('AuthorizerId');
      }
    });

    it('is an HTTP API whose one Lambda integration uses payload format 2.0', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      });
    });

    it('validates JWTs from the Cognito user pool it creates when no issuer is given', () => {
      const [poolId] = only(template.findResources('AWS::Cognito::UserPool'));
      const [clientId] = only(template.findResources('AWS::Cognito::UserPoolClient'));
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: poolId }]] },
          Audience: [{ Ref: clientId }],
        },
      });
    });

    it('creates a client-credentials app client and a resource server with the read and write scopes', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
        Identifier: 'agent-status-reasons',
        Scopes: [
          Match.objectLike({ ScopeName: 'status-reasons:read' }),
          Match.objectLike({ ScopeName: 'status-reasons:write' }),
        ],
      });
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
      });
      // Scopes are `<resource server identifier>/<scope>`; the Ref of the resource server is its identifier.
      const [serverId] = only(template.findResources('AWS::Cognito::UserPoolResourceServer'));
      const [, client] = only(template.findResources('AWS::Cognito::UserPoolClient')) as [string, Resource];
      expect(client.Properties.AllowedOAuthScopes).toEqual(
        ['status-reasons:read', 'status-reasons:write'].map((scope) => ({ 'Fn::Join': ['', [{ Ref: serverId }, `/${scope}`]] })),
      );
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
      expect(Object.keys(t.findOutputs('*')).sort()).toEqual(['ApiUrl', 'FunctionArn', 'FunctionName', 'TableName']);
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
  });

  describe('alarms', () => {
    const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];

    it('has exactly four alarms', () => {
      expect(alarms()).toHaveLength(4);
    });

    it("alarms on the function's Errors and Throttles", () => {
      for (const metricName of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    });

    it("alarms on the API's 5xx rate (5xx / Count)", () => {
      const [apiId] = only(template.findResources('AWS::ApiGatewayV2::Api'));
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 5,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)', ReturnData: true }),
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
        ['Query', 'UpdateItem', 'BatchWriteItem', 'BatchGetItem', 'TransactWriteItems'].sort(),
      );
    });

    it('has no alarm actions unless alarmEmail is given, then notifies an SSL-only SNS topic', () => {
      for (const a of alarms()) expect(a.Properties).not.toHaveProperty('AlarmActions');
      template.resourceCountIs('AWS::SNS::Topic', 0);
      const t = Template.fromStack(buildStack({}, { alarmEmail: 'ops@example.com' }).stack);
      const [topicId] = only(t.findResources('AWS::SNS::Topic'));
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      const withActions = Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Resource[];
      expect(withActions).toHaveLength(4);
      for (const a of withActions) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    }, BUILD_TIMEOUT_MS);
  });

  describe('outputs', () => {
    it('exports ApiUrl, FunctionName, FunctionArn (with an export name), TableName and the Cognito ids', () => {
      const [apiId] = only(template.findResources('AWS::ApiGatewayV2::Api'));
      template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
      template.hasOutput('FunctionName', { Value: { Ref: functionId } });
      template.hasOutput('FunctionArn', {
        Value: { 'Fn::GetAtt': [functionId, 'Arn'] },
        Export: { Name: 'AgentStatusReasons-FunctionArn' },
      });
      template.hasOutput('TableName', { Value: { Ref: tableId } });
      template.hasOutput('UserPoolId', { Value: { Ref: only(template.findResources('AWS::Cognito::UserPool'))[0] } });
      template.hasOutput('UserPoolClientId', { Value: { Ref: only(template.findResources('AWS::Cognito::UserPoolClient'))[0] } });
      expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
        ['ApiUrl', 'FunctionArn', 'FunctionName', 'TableName', 'TokenEndpoint', 'UserPoolClientId', 'UserPoolId'].sort(),
      );
    });
  });
});
