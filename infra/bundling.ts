// What the Lambda bundles leave out, shared by the deployed functions
// (constructs/functions.ts) and the bench that measures their cold start
// (test/bench/cold.ts), so that the bench measures what is deployed.
//
// Everything else is bundled, the AWS SDK included: the deployed code runs the
// versions package-lock.json pins, not whatever copy the runtime ships that
// week. Left out are only the links of the SDK's default credential chain that
// a Lambda function never reaches: in Lambda the credentials are in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the
// chain's first link, so the providers that read ~/.aws files (ini), an SSO
// cache, a credential process or a web-identity token file are never loaded.
// The SDK imports each of them with a dynamic import() only when the links
// before it found nothing, so leaving them out changes nothing that runs; they
// and the STS/SSO clients only they use were 115 KB of the bundle (37 KB
// gzipped) and about 25 ms of CPU at import (test/bench/cold.ts). The
// container-credentials and instance-metadata providers stay in.
export const LAMBDA_BUNDLE_EXTERNALS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
] as const;
