// How every Lambda function is bundled and started, shared by the deployed
// functions (constructs/functions.ts, which maps these onto CDK's bundling
// props) and the bench that measures their cold start (test/bench/cold.ts,
// which hands them to esbuild), so that the bench measures what is deployed.
// docs/performance.md ("Cold start") has the figures behind each choice.

// Left out of the bundles: only code that a Lambda function never loads.
//
// Everything else is bundled, the AWS SDK included: the deployed code runs the
// versions package-lock.json pins, not whatever copy the runtime ships that
// week. Left out are the links of the SDK's default credential chain that a
// Lambda function never reaches: in Lambda the credentials are in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the
// chain's first link, so the providers that read ~/.aws files (ini), an SSO
// cache, a credential process or a web-identity token file are never loaded.
// The SDK imports each of them with a dynamic import() only when the links
// before it found nothing, so leaving them out changes nothing that runs; they
// and the STS/SSO clients only they use were 115 KB of the bundle (37 KB
// gzipped) and about 25 ms of CPU at import. The container-credentials and
// instance-metadata providers stay in.
//
// Also left out: Smithy's event-stream codec (15 KB, 5 KB gzipped), which the
// SDK's protocols import() only for an operation whose input or output has an
// event-stream member. The clients the functions use (DynamoDB, Secrets
// Manager, EventBridge) have no such operation.
export const LAMBDA_BUNDLE_EXTERNALS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@smithy/core/event-streams',
] as const;

/** The HTTP, direct-invoke, change-publisher and authorizer functions run with these: stack traces in the logs name the TypeScript file and line. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/** esbuild's settings for every function's bundle (one ES module, Node 24). */
export const LAMBDA_BUNDLE = {
  minify: true,
  target: 'node24',
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: "import { createRequire as __asrCreateRequire } from 'node:module'; const require = __asrCreateRequire(import.meta.url);",
  // A linked source map (for LAMBDA_NODE_OPTIONS) without the sources' text:
  // Node reads and parses the map when it loads the bundle, and the HTTP
  // function's is 2.1 MB with the sources, 0.6 MB without; the traces need
  // only the mappings and names.
  sourcemap: 'linked',
  sourcesContent: false,
  // The only "legal" comment the bundle kept is a coverage hint of Powertools'.
  legalComments: 'none',
} as const;
