import { Template } from 'aws-cdk-lib/assertions';
import { BUILD_TIMEOUT_MS } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { CONNECT_ROUTES } from '../../../functions/adapters/connect/routes.js';
import { connectRouteArns } from '../../../infra/constructs/api.js';
import { withApi } from './support.js';

describe('Api', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('routes six LivePerson routes through the JWT authorizer and the Connect routes through IAM, to one integration', () => {
    const { stack } = withApi();
    const t = Template.fromStack(stack);
    const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as { Properties: { AuthorizationType: string } }[];
    expect(routes.filter((r) => r.Properties.AuthorizationType === 'JWT')).toHaveLength(6);
    expect(routes.filter((r) => r.Properties.AuthorizationType === 'AWS_IAM')).toHaveLength(CONNECT_ROUTES.length);
    t.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: 'https://idp.example.com/', Audience: ['aud'] } });
  });

  it('throttles the $default stage as told and logs it', () => {
    const { stack } = withApi();
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 5 },
    });
  });

  it('names one execute-api ARN per instance on the path routes and one per route elsewhere', () => {
    const { stack, api } = withApi();
    const arns = connectRouteArns(api.api, CONNECT_ROUTES, ['1', '2']).map((a) => JSON.stringify(stack.resolve(a)));
    expect(arns.filter((a) => a.includes('/agent-status/1'))).toHaveLength(4);
    expect(arns.filter((a) => a.includes('/agent-status/2'))).toHaveLength(4);
    expect(arns).toHaveLength(8 + 4);
  });
});
