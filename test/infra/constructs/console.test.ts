// The admin console's hosting: a private bucket read by CloudFront through
// Origin Access Control, the HTTP API at /api/* on the same distribution (no
// caching, every viewer header but Host), the page's CSP, /config.json from the
// stack's values, and the built page uploaded only when it was built. Through
// the stack: the Cognito console client (code + PKCE, no secret, callback = the
// console's URL), the writers' group, custom:account and the trigger's settings.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { API_PATH_PATTERN, Console, builtConsoleDir } from '../../../infra/constructs/console.js';
import { WRITER_GROUP } from '../../../infra/constructs/identity.js';
import { BUILD_TIMEOUT_MS, buildStack } from '../helpers.js';
import { withApi } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** A built page as `npm run console:build` leaves it. */
function builtSite(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'asr-console-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  return dir;
}

const CONFIG = { signIn: 'oidc', authority: 'https://idp.example.com', clientId: 'spa' };

function build(siteDir?: string) {
  const { stack, api } = withApi();
  const console_ = new Console(stack, 'Console', { apiHost: api.host, config: CONFIG, connectSources: ['https://idp.example.com'], ...(siteDir && { siteDir }) });
  return { stack, api, console: console_, t: Template.fromStack(stack) };
}

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

describe('Console', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('a private, TLS-only bucket that only the distribution reads, through Origin Access Control', () => {
    const { t } = build(builtSite());
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    t.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' } });
    const policies = JSON.stringify(t.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toContain('cloudfront.amazonaws.com');
    expect(policies).toContain('AWS:SourceArn');
    expect(policies).toContain('aws:SecureTransport');
    expect(policies).not.toMatch(/"Principal":\s*"\*"[^}]*"Effect":\s*"Allow"/);
  });

  it('the API under /api/* on the same origin: every method, nothing cached, every viewer header but Host', () => {
    const { t, stack, api } = build(builtSite());
    const distribution = Object.values(t.findResources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    expect(distribution.DefaultRootObject).toBe('index.html');
    expect(distribution.ViewerCertificate ?? {}).not.toHaveProperty('MinimumProtocolVersion', 'TLSv1');
    const apiBehavior = distribution.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === API_PATH_PATTERN);
    expect(apiBehavior).toMatchObject({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
      ViewerProtocolPolicy: 'https-only',
    });
    const apiOrigin = distribution.Origins.find((o: { Id: string }) => o.Id === apiBehavior.TargetOriginId);
    expect(JSON.stringify(apiOrigin.DomainName)).toContain(JSON.stringify(stack.resolve(api.api.apiId)).slice(1, -1));
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(distribution.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
  });

  it('the page gets the local server’s Content-Security-Policy, with the identity provider allowed to be fetched', () => {
    const { t } = build(builtSite());
    t.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: Match.stringLikeRegexp("connect-src 'self' https://idp\\.example\\.com;.*frame-ancestors 'none'"),
            Override: true,
          },
          FrameOptions: { FrameOption: 'DENY', Override: true },
        }),
      }),
    });
  });

  it('uploads the built page (assets immutable, index.html and config.json revalidated and invalidated) when it was built', () => {
    const { t } = build(builtSite());
    const deployments = Object.values(t.findResources('Custom::CDKBucketDeployment')).map((r) => r.Properties);
    expect(deployments).toHaveLength(2);
    const assets = deployments.find((d) => JSON.stringify(d.SystemMetadata ?? {}).includes('immutable'))!;
    expect(assets.Prune).toBe(false);
    const page = deployments.find((d) => d !== assets)!;
    expect(page.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    expect(page.DistributionPaths).toEqual(['/', '/index.html', '/config.json']);
    expect(page.SourceObjectKeys).toHaveLength(2); // the page's files and config.json
  });

  it('without a built page: only /config.json is uploaded, and synth warns how to build it', () => {
    const { t, console: c } = build();
    const deployments = Object.values(t.findResources('Custom::CDKBucketDeployment')).map((r) => r.Properties);
    expect(deployments).toHaveLength(1);
    expect(deployments[0]!.SourceObjectKeys).toHaveLength(1);
    Annotations.fromStack(c.node.scope as never).hasWarning('*', Match.stringLikeRegexp('npm run console:build'));
    expect(builtConsoleDir(path.join(tmpdir(), 'no-such-dir'))).toBeUndefined();
  });
});

describe('the stack with console=true', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('with its own pool: a public console client (code grant, no secret, callback = the console URL), audience of the API, and the config it deploys', () => {
    const { stack } = buildStack({ consoleSiteDir: builtSite() }, { console: 'true', machineClients: '123' });
    const t = Template.fromStack(stack);
    const clients = Object.values(t.findResources('AWS::Cognito::UserPoolClient')).map((r) => r.Properties);
    const consoleClient = clients.find((c) => c.ClientName === 'admin-console')!;
    expect(consoleClient).toMatchObject({ AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true, GenerateSecret: false, SupportedIdentityProviders: ['COGNITO'], WriteAttributes: [] });
    expect(consoleClient.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid']));
    expect(JSON.stringify(consoleClient.AllowedOAuthScopes)).toContain('status-reasons:write');
    const consoleUrl = stack.resolve(stack.console!.url);
    expect(consoleClient.CallbackURLs).toEqual([consoleUrl]);
    expect(consoleClient.LogoutURLs).toEqual([consoleUrl]);
    expect(JSON.stringify(consoleUrl)).toContain('DomainName');
    // With the stack's own pool the Lambda authorizer checks every token (no audience list), the console's included.
    expect(t.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { AuthorizerType: 'JWT' } })).toEqual({});
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'REQUEST' });
    // Users carry their account; the writers' group exists; the trigger knows the group and the resource server.
    t.hasResourceProperties('AWS::Cognito::UserPool', { Schema: Match.arrayWith([Match.objectLike({ Name: 'account', AttributeDataType: 'String', Mutable: true })]) });
    t.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: WRITER_GROUP });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WRITER_GROUP, RESOURCE_SERVER_IDENTIFIER: 'agent-status-reasons' }) } });
    // The deployed config names the pool as issuer and the console client; CSP allows Cognito's endpoints.
    const config = stack.resolve(stack.console!.config);
    expect(config).toMatchObject({
      signIn: 'oidc',
      authority: stack.resolve(stack.jwtIssuer),
      clientId: stack.resolve(stack.identity.consoleClient!.userPoolClientId),
      scope: 'openid agent-status-reasons/status-reasons:read agent-status-reasons/status-reasons:write',
      accountClaim: 'account',
    });
    expect(JSON.stringify(config.signOutUrl)).toContain('/logout');
    const csp = JSON.stringify(Object.values(t.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]);
    expect(csp).toContain('https://cognito-idp.');
    expect(csp).toContain('amazoncognito.com');
    t.hasOutput('ConsoleUrl', {});
    t.hasOutput('ConsoleClientId', {});
  });

  it('with an external issuer: no Cognito; the config names the issuer and the given client id', () => {
    const { stack } = buildStack({ consoleSiteDir: builtSite() }, { console: 'true', jwtIssuer: 'https://login.example.com/tenant/', jwtAudience: 'api', consoleClientId: 'spa-123' });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(stack.console!.config).toEqual({ signIn: 'oidc', authority: 'https://login.example.com/tenant/', clientId: 'spa-123', scope: 'openid status-reasons:read status-reasons:write', accountClaim: 'account' });
    expect(JSON.stringify(t.findResources('AWS::CloudFront::ResponseHeadersPolicy'))).toContain("connect-src 'self' https://login.example.com;");
    t.hasOutput('ConsoleUrl', {});
  });

  it('off by default: no bucket, no distribution, no console client', () => {
    const { stack } = buildStack();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudFront::Distribution', 0);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
    expect(JSON.stringify(t.findResources('AWS::Cognito::UserPool'))).not.toContain('"Schema"');
    expect(stack.identity.consoleClient).toBeUndefined();
    expect(Object.keys(t.findOutputs('ConsoleUrl'))).toEqual([]);
  });
});
