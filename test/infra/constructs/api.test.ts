import { Template } from 'aws-cdk-lib/assertions';
import { BUILD_TIMEOUT_MS } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { CONNECT_CATCH_ALL_ROUTES, CONNECT_ROUTES } from '../../../functions/adapters/connect/routes.js';
import { connectRouteArns } from '../../../infra/constructs/api.js';
import { bareStack, withApi } from './support.js';

const CERTIFICATE = 'arn:aws:acm:eu-west-1:111122223333:certificate/12345678-90ab-cdef-1234-567890abcdef';

describe('Api', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('routes six LivePerson routes through the JWT authorizer and the Connect routes through IAM, to one integration', () => {
    const { stack } = withApi();
    const t = Template.fromStack(stack);
    const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as { Properties: { AuthorizationType: string } }[];
    expect(routes.filter((r) => r.Properties.AuthorizationType === 'JWT')).toHaveLength(6);
    expect(routes.filter((r) => r.Properties.AuthorizationType === 'AWS_IAM')).toHaveLength(CONNECT_ROUTES.length + CONNECT_CATCH_ALL_ROUTES.length);
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

  it('with the catch-alls, names every method under each instance\'s paths and under the other prefixes, leaving out the ARNs those cover', () => {
    const { stack, api } = withApi();
    const arns = connectRouteArns(api.api, [...CONNECT_ROUTES, ...CONNECT_CATCH_ALL_ROUTES], ['1', '2']).map((a) => (stack.resolve(a) as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].at(-1));
    expect(arns.sort()).toEqual(
      [
        '/$default/*/agent-status',
        '/$default/*/agent-status/1',
        '/$default/*/agent-status/1/*',
        '/$default/*/agent-status/2',
        '/$default/*/agent-status/2/*',
        '/$default/*/search-agent-statuses',
        '/$default/*/search-agent-statuses/*',
        '/$default/*/tags',
        '/$default/*/tags/*',
      ].sort(),
    );
  });

  describe('custom domain', () => {
    it('has none unless given: the execute-api URL is the API\'s', () => {
      const { stack, api } = withApi();
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
      t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
      t.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: false });
      expect(api.customUrl).toBeUndefined();
      expect(api.url).toBe(api.api.apiEndpoint);
    });

    it('maps a regional domain name with the given certificate to the $default stage, and writes no record without a zone', () => {
      const { stack, api } = withApi(bareStack(), { domainName: 'api.example.com', certificateArn: CERTIFICATE });
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
        DomainName: 'api.example.com',
        DomainNameConfigurations: [{ CertificateArn: CERTIFICATE, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
      });
      const [domainId] = Object.keys(t.findResources('AWS::ApiGatewayV2::DomainName'));
      const [stageId] = Object.keys(t.findResources('AWS::ApiGatewayV2::Stage'));
      const [apiId] = Object.keys(t.findResources('AWS::ApiGatewayV2::Api'));
      // The stage by name, made before the mapping.
      t.hasResource('AWS::ApiGatewayV2::ApiMapping', { Properties: { ApiId: { Ref: apiId }, DomainName: { Ref: domainId }, Stage: '$default' }, DependsOn: [stageId] });
      t.resourceCountIs('AWS::Route53::RecordSet', 0);
      t.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: false });
      expect(api.customUrl).toBe('https://api.example.com');
      expect(api.url).toBe(api.api.apiEndpoint);
    });

    it('writes the alias A record into the given zone, and answers only there when the execute-api endpoint is disabled', () => {
      const { stack, api } = withApi(bareStack(), { domainName: 'api.example.com', certificateArn: CERTIFICATE, hostedZoneId: 'Z0123456789ABCDEFGHIJ', disableExecuteApiEndpoint: true });
      const t = Template.fromStack(stack);
      const [domainId] = Object.keys(t.findResources('AWS::ApiGatewayV2::DomainName'));
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        Name: 'api.example.com.',
        Type: 'A',
        AliasTarget: { DNSName: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] }, HostedZoneId: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] } },
      });
      t.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
      expect(api.url).toBe('https://api.example.com');
    });
  });
});
