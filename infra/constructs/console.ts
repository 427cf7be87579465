// The admin console in AWS: the built page (web/dist) in a private S3 bucket
// behind a CloudFront distribution (Origin Access Control), with the HTTP API
// under the same distribution at `/api/*`, so the page calls the API on its own
// origin (no CORS). `/config.json`, written here from the stack's values, tells
// the page how to sign in.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Annotations, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { contentSecurityPolicy } from '../../web/server/serve.js';
import { FlatScope } from './flat-logical-ids.js';

/** The path under which the distribution forwards to the HTTP API (the LivePerson routes all start with `/api/`). */
export const API_PATH_PATTERN = '/api/*';

/** The built page, when `npm run console:build` has made it: the directory to deploy, else undefined. */
export function builtConsoleDir(dir: string): string | undefined {
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

export interface ConsoleProps {
  /** The host of the HTTP API the page calls (the `Api` construct's `host`), forwarded at `/api/*` on the same origin. */
  readonly apiHost: string;
  /** What `/config.json` says (`{"signIn": "oidc", "authority": …, "clientId": …}`); may hold tokens (the pool's id, the client id). */
  readonly config: Record<string, unknown>;
  /** Origins the page fetches from besides its own (the issuer's discovery and token endpoints), for its Content-Security-Policy. */
  readonly connectSources: readonly string[];
  /**
   * The built page (web/dist) to upload. Undefined: nothing but `/config.json` is
   * uploaded and synth warns; build the page (`npm run console:build`) and deploy again.
   */
  readonly siteDir?: string;
}

export class Console extends FlatScope {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution domain>/`: the page's address, its OIDC callback and sign-out URL. */
  readonly url: string;
  /** What `/config.json` says, as deployed. */
  readonly config: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    this.config = props.config;
    this.bucket = new s3.Bucket(this, 'ConsoleBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Kept when the stack goes, as the stack's other stores are (emptying it would take another custom resource).
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The page's own headers, as the local server sends them (web/server/serve.ts).
    const pageHeaders = new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
      comment: 'Admin console: CSP (own origin plus the identity provider), no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(props.connectSources), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    const apiOrigin = new origins.HttpOrigin(props.apiHost, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    this.distribution = new cloudfront.Distribution(this, 'ConsoleDistribution', {
      comment: 'Agent status reasons: admin console and its API on one origin',
      defaultRootObject: 'index.html',
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Objects carry their own Cache-Control (below): hashed assets forever, index.html and config.json never stale.
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: pageHeaders,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      },
      additionalBehaviors: {
        [API_PATH_PATTERN]: {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // Nothing of the API is cached; with caching off, CloudFront forwards Authorization, If-Match,
          // If-None-Match and Idempotency-Key with every other viewer header except Host (API Gateway checks Host).
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;

    const site = props.siteDir;
    if (site) {
      // Content-hashed files never change: cached for a year; older ones stay for pages still open during a deploy.
      new s3deploy.BucketDeployment(this, 'DeployConsoleAssets', {
        destinationBucket: this.bucket,
        sources: [s3deploy.Source.asset(site, { exclude: ['index.html', '*.json'] })],
        cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
        prune: false,
        memoryLimit: 256,
      });
    } else {
      Annotations.of(this).addWarningV2(
        'agent-status-reasons:console-not-built',
        'The admin console is not built (web/dist/index.html is missing): only /config.json is deployed. Run `npm run console:build`, then deploy again.',
      );
    }
    // index.html and config.json: revalidated on every load, and invalidated at the edge on deploy.
    const pageDeployment = new s3deploy.BucketDeployment(this, 'DeployConsolePage', {
      destinationBucket: this.bucket,
      sources: [...(site ? [s3deploy.Source.asset(site, { exclude: ['assets', 'assets/*', 'assets/**'] })] : []), s3deploy.Source.jsonData('config.json', props.config)],
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: false,
      memoryLimit: 256,
      distribution: this.distribution,
      distributionPaths: ['/', '/index.html', '/config.json'],
    });

    // Both deployments share CDK's one BucketDeployment function (a singleton of the stack), which CDK writes and
    // maintains: its runtime, its managed logging policy and the S3 wildcards of its copy job are CDK's.
    const deployFunction = pageDeployment.handlerRole.node.scope!;
    const deployReason =
      "CDK's BucketDeployment function (one per stack, written and maintained by CDK) runs only during deployments: it logs through AWSLambdaBasicExecutionRole, reads the CDK asset bucket (s3:GetObject*/GetBucket*/List*), copies into and prunes the console bucket's objects (s3:*Object*, Abort*), and invalidates the distribution (no resource-level permissions).";
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    // As cdk-nag writes the asset bucket in its finding: a value synth knows (CDK_DEFAULT_REGION, an explicit env) as itself.
    const stack = Stack.of(this);
    const nagForm = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const assetBucket = `arn:${nagForm(stack.partition, 'Partition')}:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-${nagForm(stack.account, 'AccountId')}-${nagForm(stack.region, 'Region')}/*`;
    Validations.of(deployFunction).acknowledge(
      { id: 'AwsSolutions-L1', reason: "CDK's BucketDeployment function runs on the Python runtime CDK pins for it; it runs only during deployments, never on a request path." },
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: deployReason },
      ...['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*', `Resource::${assetBucket}`, `Resource::<${bucketId}.Arn>/*`, 'Resource::*'].map(
        (finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: deployReason }),
      ),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The console bucket holds only the built static page, uploaded by the deployment; CloudFront, its only reader through Origin Access Control, is where requests would be logged (see CFR3).',
    });
    for (const rule of [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Contact centers using the console work from any country; the API behind it already requires a token for every request, so a geo restriction would add no protection.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'The distribution serves a static page and forwards /api/* to the HTTP API, which authorizes every request (JWT) and is throttled at its stage; a WAF web ACL (billed per ACL and request) can be attached by operators who need one.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Every API request through the distribution is logged in the HTTP API access log (one JSON line per request); the rest are requests for the public static page, whose logs would need an ACL-enabled log bucket.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The distribution uses its default cloudfront.net certificate, with which CloudFront accepts TLSv1 from viewers; a custom domain with its own ACM certificate enforces TLS 1.2 (minimumProtocolVersion is already TLS_V1_2_2021).',
      },
    ]) {
      Validations.of(this.distribution).acknowledge(rule);
    }
  }
}
