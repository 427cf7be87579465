// The deployment's settings: each from the stack's props or the CDK context
// (`-c key=value`, cdk.json), checked at synth against the rule the deploy (or
// the running service) would otherwise enforce late or silently. Every refusal
// names the key, the value and the rule. A context key that is not one of
// these, nor CDK's own, is refused with the closest known key suggested, so a
// misspelt `-c machineClient=123` does not deploy as if it were absent.
import { Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { Construct } from 'constructs';
import { RESERVED_CLAIMS } from '../functions/platform/machine-clients.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE } from '../functions/domain/status-reason.js';
import { DEFAULT_ACCOUNT_CLAIM } from '../functions/platform/http/middlewares/jwt-claims.js';
import { HISTORY_MAX_AGE_DAYS_DEFAULT, HISTORY_MAX_BYTES_DEFAULT } from '../functions/store/history.js';

/** A setting refused at synth: `<key>=<value>: <rule>`. */
export class SettingError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${key}=${JSON.stringify(value)} is refused: ${rule}`);
    this.name = 'SettingError';
  }
}

/**
 * Default limits (docs/operations.md, "Limits"). `none` as a concurrency
 * reserves nothing (for accounts whose Lambda quota is too small to reserve from).
 */
export const DEFAULT_LIMITS = {
  /** Reserved concurrency of the HTTP function. */
  httpConcurrency: 100,
  /** Reserved concurrency of the direct-invoke function. */
  invokeConcurrency: 50,
  /** Steady requests per second the API's stage lets through, all routes and callers together. */
  apiRateLimit: 500,
  /** Requests the stage lets through at once above the steady rate. */
  apiBurstLimit: 100,
} as const;

/** Lambda's default concurrent executions per account and region, and what it keeps unreserved. */
export const DEFAULT_LAMBDA_CONCURRENCY_QUOTA = 1000;
export const LAMBDA_UNRESERVED_MINIMUM = 100;
/** API Gateway's account-level throttle per region (default quota): a stage limit above it is never reached. */
export const API_ACCOUNT_RATE_LIMIT = 10_000;
export const API_ACCOUNT_BURST_LIMIT = 5_000;
/** API Gateway: audiences per JWT authorizer (a fixed quota). */
export const MAX_JWT_AUDIENCES = 50;
/** Machine clients the stack itself makes (`machineClients`); `npm run tenants` registers any number more without a deploy. */
export const MAX_STACK_MACHINE_CLIENTS = 50;
/** The change history's keep-limits a deployment may set (the store's own defaults are in functions/store/history.ts). */
export const HISTORY_LIMITS = { maxAgeDays: { min: 1, max: 3650 }, maxBytes: { min: 1024 * 1024, max: 1024 * 1024 * 1024 } } as const;

/** Every setting this app reads, with its rule (for the docs and the "did you mean" of a misspelt key). */
export const SETTING_RULES = {
  stage: 'a stage name of 1-20 lowercase letters, digits or "-", starting with a letter (it prefixes the stack name, its exports and the Cognito domain)',
  memorySize: 'an integer number of MB from 128 to 10240 (Lambda)',
  alarmEmail: 'an email address (name@domain.tld) that the alarm topic mails',
  alarmTopicArn: 'the ARN of an existing standard SNS topic in this partition (arn:aws:sns:<region>:<account>:<name>; FIFO topics cannot receive alarms)',
  jwtIssuer: 'an https:// URL with a host and no query or fragment (API Gateway fetches <issuer>/.well-known/openid-configuration over TLS)',
  jwtAudience: `a comma-separated list of 1-${MAX_JWT_AUDIENCES} audiences (API Gateway's limit per JWT authorizer), given only with jwtIssuer`,
  cognitoDomainPrefix:
    'a Cognito domain prefix: 1-63 lowercase letters, digits or "-", not starting or ending with "-", and not containing "aws", "amazon" or "cognito" (only without jwtIssuer)',
  accountClaim:
    'a claim name: either a plain name (a letter, then up to 127 letters, digits, "_", ":", "." or "-") or a namespaced URL claim (https://<host>/<path>, up to 256 characters of letters, digits and "-._~:/"), not one Cognito or the API reserves (scope, client_id, sub, aud, iss, exp, ...)',
  resourceServer: 'a resource server identifier of 1-256 printable ASCII characters other than space, \'"\' and "\\"',
  machineClients: `a comma-separated list of at most ${MAX_STACK_MACHINE_CLIENTS} account ids (${ACCOUNT_ID_RULE.replace(/^must be /, '')}), only without jwtIssuer; register any number of tenants with \`npm run tenants -- add <account>\` instead (no deploy)`,
  httpConcurrency: `a positive integer or "none"; with invokeConcurrency at most lambdaConcurrencyQuota - ${LAMBDA_UNRESERVED_MINIMUM} (Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved)`,
  invokeConcurrency: `a positive integer or "none"; with httpConcurrency at most lambdaConcurrencyQuota - ${LAMBDA_UNRESERVED_MINIMUM}`,
  lambdaConcurrencyQuota: `your account's Lambda concurrent executions quota in this region, a positive integer (default ${DEFAULT_LAMBDA_CONCURRENCY_QUOTA})`,
  apiRateLimit: `a positive number of requests per second, at most ${API_ACCOUNT_RATE_LIMIT} (API Gateway's account throttle)`,
  apiBurstLimit: `a positive integer number of requests, at most ${API_ACCOUNT_BURST_LIMIT} (API Gateway's account burst)`,
  terminationProtection: '"true" or "false": whether CloudFormation refuses to delete the stack',
  historyMaxAgeDays: `an integer number of days from ${HISTORY_LIMITS.maxAgeDays.min} to ${HISTORY_LIMITS.maxAgeDays.max}: an account's change history keeps entries this long (default ${HISTORY_MAX_AGE_DAYS_DEFAULT})`,
  historyMaxBytes: `an integer number of bytes from ${HISTORY_LIMITS.maxBytes.min} (1 MiB) to ${HISTORY_LIMITS.maxBytes.max} (1 GiB): an account's change history keeps its newest entries within this many stored (gzip'd) bytes (default ${HISTORY_MAX_BYTES_DEFAULT}, 16 MiB)`,
  console:
    '"true" or "false" (default): whether the stack serves the admin console (S3 behind CloudFront, the API at /api/* on the same origin) and, with its own Cognito pool, makes the console\'s app client (with jwtIssuer, consoleClientId is required)',
  consoleClientId: 'the console\'s public OIDC client id at jwtIssuer (1-256 printable ASCII characters, no space): only with console=true and jwtIssuer; jwtAudience must accept its tokens',
  apiDomainName:
    'a custom domain name for the HTTP API, lowercase and fully qualified (e.g. api.example.com: 2-127 dot-separated labels of 1-63 letters, digits or "-", not at either end, at most 253 characters, no wildcard or trailing dot), given together with apiCertificateArn',
  apiCertificateArn:
    'the ARN of an ACM certificate for apiDomainName in the stack\'s own partition and region (arn:<partition>:acm:<region>:<account>:certificate/<id>; API Gateway\'s regional domain names take no certificate from another region: a us-east-1 one made for CloudFront serves only a stack in us-east-1), given together with apiDomainName',
  apiHostedZoneId:
    'the id of the Route 53 hosted zone that holds apiDomainName (Z followed by 1-31 uppercase letters or digits), only with apiDomainName: the stack writes the alias A record there',
  disableExecuteApiEndpoint:
    '"true" or "false" (default): whether the API answers only at https://<apiDomainName> (its execute-api URL refuses every request); only with apiDomainName',
} as const;

/** Settings of earlier versions, refused with what to do instead (a silently ignored key would look as if it worked). */
export const RETIRED_KEYS: Record<string, string> = {
  nextTokenSecretVersion:
    'no longer a setting: the function reads the NextToken secret at run time, so put-secret-value alone rotates it (docs/operations.md, "Rotating the NextToken key"); remove the key',
};

export type SettingKey = keyof typeof SETTING_RULES;
export const SETTING_KEYS = Object.keys(SETTING_RULES) as SettingKey[];

/** Context keys of CDK and its CLI that carry no namespace (`@aws-cdk/...` and `aws:cdk:...` ones are CDK's by their form). */
const CDK_CONTEXT_KEYS = new Set(['cli-telemetry', 'notices', 'acknowledged-issue-numbers', 'cdk-version', 'bundling-stacks', 'assetStaging', 'json', 'build']);

/** The settings as given: props take precedence over context. */
export interface SettingsInput {
  stage?: string;
  memorySize?: number;
  alarmEmail?: string;
  alarmTopicArn?: string;
  jwtIssuer?: string;
  jwtAudience?: readonly string[];
  cognitoDomainPrefix?: string;
  accountClaim?: string;
  resourceServer?: string;
  machineClients?: readonly string[];
  httpConcurrency?: number | null;
  invokeConcurrency?: number | null;
  lambdaConcurrencyQuota?: number;
  apiRateLimit?: number;
  apiBurstLimit?: number;
  terminationProtection?: boolean;
  historyMaxAgeDays?: number;
  historyMaxBytes?: number;
  console?: boolean;
  consoleClientId?: string;
  apiDomainName?: string;
  apiCertificateArn?: string;
  apiHostedZoneId?: string;
  disableExecuteApiEndpoint?: boolean;
}

/** The checked settings the stack builds from. */
export interface Settings {
  stage: string | undefined;
  memorySize: number;
  alarmEmail: string | undefined;
  alarmTopicArn: string | undefined;
  /** An external issuer and its audiences; undefined: the stack makes a Cognito pool. */
  externalIssuer: { issuer: string; audience: string[] } | undefined;
  /** Undefined: `<stage->agent-status-reasons-<account>`. */
  cognitoDomainPrefix: string | undefined;
  accountClaim: string;
  /** Undefined with an external issuer and no resourceServer: bare scopes only. */
  resourceServer: string | undefined;
  machineClients: string[];
  httpConcurrency: number | undefined;
  invokeConcurrency: number | undefined;
  apiRateLimit: number;
  apiBurstLimit: number;
  terminationProtection: boolean;
  /** The change history's keep-limits, as the writing functions get them (HISTORY_MAX_AGE_DAYS, HISTORY_MAX_BYTES). */
  history: { maxAgeDays: number; maxBytes: number };
  /** Serve the admin console; with an external issuer, `clientId` is its OIDC client there. */
  console: { clientId?: string } | undefined;
  /** The API's custom domain; undefined: only its execute-api URL. */
  apiDomain: ApiDomainSettings | undefined;
}

export interface ApiDomainSettings {
  domainName: string;
  certificateArn: string;
  /** Undefined: the operator points the name at the domain's target (output ApiDomainTarget) in their own DNS. */
  hostedZoneId: string | undefined;
  disableExecuteApiEndpoint: boolean;
}

/** Edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known key closest to `key`, when it is close enough to be a slip of the keyboard. */
export function closestKey(key: string): SettingKey | undefined {
  const ranked = SETTING_KEYS.map((known) => ({ known, distance: editDistance(key, known) })).sort((x, y) => x.distance - y.distance);
  const best = ranked[0]!;
  const lower = key.toLowerCase();
  const contains = SETTING_KEYS.find((known) => known.toLowerCase().includes(lower) || lower.includes(known.toLowerCase()));
  if (best.distance <= Math.max(2, Math.floor(best.known.length / 3))) return best.known;
  return contains;
}

/** Context keys in this app's own namespace (no `:`, `@` or `/`) that are not settings: misspellings, or settings of another app. */
export function unknownContextKeys(context: Record<string, unknown>): string[] {
  return Object.keys(context).filter((key) => !/[:@/]/.test(key) && !CDK_CONTEXT_KEYS.has(key) && !(SETTING_KEYS as string[]).includes(key) && !(key in RETIRED_KEYS));
}

function contextValue(scope: Construct, key: SettingKey): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

const EMAIL = /^[^\s@,;<>"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const STAGE = /^[a-z][a-z0-9-]{0,19}$/;
const PLAIN_CLAIM = /^[A-Za-z][A-Za-z0-9_:.-]{0,127}$/;
const URL_CLAIM = /^https?:\/\/[A-Za-z0-9.-]+(?::\d+)?\/[A-Za-z0-9\-._~:/]*[A-Za-z0-9_~-]$/;
const RESOURCE_SERVER = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
/** A lowercase DNS label: a Cognito domain prefix, and each label of apiDomainName. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SNS_TOPIC_ARN = /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const ACM_CERTIFICATE_ARN = /^arn:(aws(?:-[a-z]+)*):acm:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:certificate\/[A-Za-z0-9-]{1,128}$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/** The partition a region belongs to, as CDK's region facts name it (a region they do not know: `aws`). */
const partitionOf = (region: string): string => RegionInfo.get(region).partition ?? 'aws';

export function checkStage(value: string): string {
  if (!STAGE.test(value)) throw new SettingError('stage', value, SETTING_RULES.stage);
  return value;
}

export function checkEmail(value: string): string {
  if (!EMAIL.test(value) || value.length > 254) throw new SettingError('alarmEmail', value, SETTING_RULES.alarmEmail);
  return value;
}

export function checkTopicArn(value: string): string {
  if (!SNS_TOPIC_ARN.test(value)) throw new SettingError('alarmTopicArn', value, SETTING_RULES.alarmTopicArn);
  return value;
}

export function checkIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingError('jwtIssuer', value, SETTING_RULES.jwtIssuer);
  }
  if (url.protocol !== 'https:' || !url.hostname || url.search || url.hash || url.username || url.password) throw new SettingError('jwtIssuer', value, SETTING_RULES.jwtIssuer);
  return value;
}

export function checkDomainPrefix(value: string): string {
  if (!DNS_LABEL.test(value) || /aws|amazon|cognito/.test(value)) throw new SettingError('cognitoDomainPrefix', value, SETTING_RULES.cognitoDomainPrefix);
  return value;
}

/** A claim name the pre-token trigger may write and the function reads: plain, or a namespaced URL. */
export function checkClaimName(value: string): string {
  const shaped = PLAIN_CLAIM.test(value) || (URL_CLAIM.test(value) && value.length <= 256);
  if (!shaped || RESERVED_CLAIMS.has(value)) throw new SettingError('accountClaim', value, SETTING_RULES.accountClaim);
  return value;
}

export function checkResourceServer(value: string): string {
  if (!RESOURCE_SERVER.test(value)) throw new SettingError('resourceServer', value, SETTING_RULES.resourceServer);
  return value;
}

export function checkDomainName(value: string): string {
  const labels = value.split('.');
  const shaped = value.length <= 253 && labels.length >= 2 && labels.length <= 127 && labels.every((label) => DNS_LABEL.test(label)) && !/^\d+$/.test(labels.at(-1)!);
  if (!shaped) throw new SettingError('apiDomainName', value, SETTING_RULES.apiDomainName);
  return value;
}

/** An ACM certificate ARN; in `region`'s partition and region when the stack's region is known at synth (an environment-agnostic stack is checked by API Gateway at deploy). */
export function checkCertificateArn(value: string, region: string | undefined): string {
  const match = ACM_CERTIFICATE_ARN.exec(value);
  if (!match) throw new SettingError('apiCertificateArn', value, SETTING_RULES.apiCertificateArn);
  const [, partition, certificateRegion] = match;
  if (region !== undefined && (certificateRegion !== region || partition !== partitionOf(region))) {
    throw new SettingError('apiCertificateArn', value, `the certificate is in ${partition}/${certificateRegion}, the stack in ${partitionOf(region)}/${region}: ${SETTING_RULES.apiCertificateArn}`);
  }
  return value;
}

export function checkHostedZoneId(value: string): string {
  if (!HOSTED_ZONE_ID.test(value)) throw new SettingError('apiHostedZoneId', value, SETTING_RULES.apiHostedZoneId);
  return value;
}

/** The stack's region when synth knows it (CDK_DEFAULT_REGION or an explicit env), else undefined. */
function knownRegion(scope: Construct): string | undefined {
  if (!Stack.isStack(scope)) return undefined;
  return Token.isUnresolved(scope.region) ? undefined : scope.region;
}

/** A comma-separated context value, or a props list, trimmed, empty items dropped. */
function list(given: readonly string[] | undefined, raw: string | undefined): string[] | undefined {
  if (given !== undefined) return given.map((item) => item.trim()).filter(Boolean);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A number from props or context: `integer` or not, within [min, max]; `none` (or null) gives undefined where allowed. */
function numberSetting(key: SettingKey, given: number | null | undefined, raw: string | undefined, fallback: number, rule: { integer: boolean; min: number; max: number; noneAllowed?: boolean }): number | undefined {
  const value: unknown = given !== undefined ? given : raw;
  if (rule.noneAllowed && (value === null || value === 'none')) return undefined;
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(String(value)) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < rule.min || n > rule.max || (rule.integer && !Number.isInteger(n))) throw new SettingError(key, value, SETTING_RULES[key]);
  return n;
}

function booleanSetting(key: SettingKey, given: boolean | undefined, raw: string | undefined, fallback: boolean): boolean {
  if (given !== undefined) return given;
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new SettingError(key, raw, SETTING_RULES[key]);
}

/** The stage from props or context (the app reads it before it names the stack). */
export function readStage(scope: Construct, given?: string): string | undefined {
  const value = given ?? contextValue(scope, 'stage');
  return value === undefined ? undefined : checkStage(value);
}

/** Every setting, checked (props over context), and every unknown context key refused. */
export function readSettings(scope: Construct, input: SettingsInput = {}): Settings {
  for (const [key, why] of Object.entries(RETIRED_KEYS)) {
    const value: unknown = scope.node.tryGetContext(key);
    if (value !== undefined) throw new SettingError(key, value, why);
  }
  const unknown = unknownContextKeys(scope.node.getAllContext());
  if (unknown.length) {
    const key = unknown[0]!;
    const suggestion = closestKey(key);
    throw new SettingError(
      key,
      scope.node.tryGetContext(key),
      `${key} is not a setting of this app${suggestion ? `; did you mean ${suggestion}?` : ''} (settings: ${SETTING_KEYS.join(', ')})`,
    );
  }
  const raw = (key: SettingKey) => contextValue(scope, key);
  const stage = readStage(scope, input.stage);

  const memorySize = numberSetting('memorySize', input.memorySize, raw('memorySize'), 512, { integer: true, min: 128, max: 10240 })!;
  const history = {
    maxAgeDays: numberSetting('historyMaxAgeDays', input.historyMaxAgeDays, raw('historyMaxAgeDays'), HISTORY_MAX_AGE_DAYS_DEFAULT, { integer: true, ...HISTORY_LIMITS.maxAgeDays })!,
    maxBytes: numberSetting('historyMaxBytes', input.historyMaxBytes, raw('historyMaxBytes'), HISTORY_MAX_BYTES_DEFAULT, { integer: true, ...HISTORY_LIMITS.maxBytes })!,
  };

  const alarmEmail = input.alarmEmail ?? raw('alarmEmail');
  if (alarmEmail !== undefined) checkEmail(alarmEmail);
  const alarmTopicArn = input.alarmTopicArn ?? raw('alarmTopicArn');
  if (alarmTopicArn !== undefined) checkTopicArn(alarmTopicArn);

  const issuer = input.jwtIssuer ?? raw('jwtIssuer');
  const audience = list(input.jwtAudience, raw('jwtAudience'));
  let externalIssuer: Settings['externalIssuer'];
  if (issuer !== undefined) {
    checkIssuer(issuer);
    if (!audience?.length) throw new SettingError('jwtAudience', audience?.join(',') ?? null, `required with jwtIssuer: ${SETTING_RULES.jwtAudience}`);
    if (audience.length > MAX_JWT_AUDIENCES) throw new SettingError('jwtAudience', audience.join(','), SETTING_RULES.jwtAudience);
    externalIssuer = { issuer, audience };
  } else if (audience !== undefined) {
    throw new SettingError('jwtAudience', audience.join(','), `it is only read with jwtIssuer (the stack's own Cognito pool has its machine clients as audiences): ${SETTING_RULES.jwtAudience}`);
  }

  const cognitoDomainPrefix = input.cognitoDomainPrefix ?? raw('cognitoDomainPrefix');
  if (cognitoDomainPrefix !== undefined) {
    if (externalIssuer) throw new SettingError('cognitoDomainPrefix', cognitoDomainPrefix, `no Cognito pool is made with jwtIssuer, so nothing would use it: ${SETTING_RULES.cognitoDomainPrefix}`);
    checkDomainPrefix(cognitoDomainPrefix);
  }

  const accountClaim = checkClaimName(input.accountClaim ?? raw('accountClaim') ?? DEFAULT_ACCOUNT_CLAIM);
  const givenResourceServer = input.resourceServer ?? raw('resourceServer');
  const resourceServer = givenResourceServer === undefined ? undefined : checkResourceServer(givenResourceServer);

  const machineClients = [...new Set(list(input.machineClients, raw('machineClients')) ?? [])];
  for (const account of machineClients) if (!ACCOUNT_ID.test(account)) throw new SettingError('machineClients', account, SETTING_RULES.machineClients);
  if (machineClients.length && externalIssuer) throw new SettingError('machineClients', machineClients.join(','), `machineClients makes clients in the stack's own Cognito pool: it cannot go with jwtIssuer (${SETTING_RULES.machineClients})`);
  if (machineClients.length > MAX_STACK_MACHINE_CLIENTS) throw new SettingError('machineClients', `${machineClients.length} accounts`, `at most ${MAX_STACK_MACHINE_CLIENTS} (each is two resources of the template): ${SETTING_RULES.machineClients}`);

  const quota = numberSetting('lambdaConcurrencyQuota', input.lambdaConcurrencyQuota, raw('lambdaConcurrencyQuota'), DEFAULT_LAMBDA_CONCURRENCY_QUOTA, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER })!;
  const concurrencyRule = { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER, noneAllowed: true };
  const httpConcurrency = numberSetting('httpConcurrency', input.httpConcurrency, raw('httpConcurrency'), DEFAULT_LIMITS.httpConcurrency, concurrencyRule);
  const invokeConcurrency = numberSetting('invokeConcurrency', input.invokeConcurrency, raw('invokeConcurrency'), DEFAULT_LIMITS.invokeConcurrency, concurrencyRule);
  const reserved = (httpConcurrency ?? 0) + (invokeConcurrency ?? 0);
  if (reserved > quota - LAMBDA_UNRESERVED_MINIMUM) {
    const key = (httpConcurrency ?? 0) >= (invokeConcurrency ?? 0) ? 'httpConcurrency' : 'invokeConcurrency';
    throw new SettingError(
      key,
      key === 'httpConcurrency' ? httpConcurrency : invokeConcurrency,
      `httpConcurrency + invokeConcurrency = ${reserved} exceeds lambdaConcurrencyQuota (${quota}) - ${LAMBDA_UNRESERVED_MINIMUM}: Lambda refuses a reservation that leaves fewer than ${LAMBDA_UNRESERVED_MINIMUM} unreserved (set lambdaConcurrencyQuota to your raised quota)`,
    );
  }
  const apiRateLimit = numberSetting('apiRateLimit', input.apiRateLimit, raw('apiRateLimit'), DEFAULT_LIMITS.apiRateLimit, { integer: false, min: Number.MIN_VALUE, max: API_ACCOUNT_RATE_LIMIT })!;
  const apiBurstLimit = numberSetting('apiBurstLimit', input.apiBurstLimit, raw('apiBurstLimit'), DEFAULT_LIMITS.apiBurstLimit, { integer: true, min: 1, max: API_ACCOUNT_BURST_LIMIT })!;
  const terminationProtection = booleanSetting('terminationProtection', input.terminationProtection, raw('terminationProtection'), false);

  const consoleOn = booleanSetting('console', input.console, raw('console'), false);
  const consoleClientId = input.consoleClientId ?? raw('consoleClientId');
  if (consoleClientId !== undefined) {
    if (!consoleOn || !externalIssuer) throw new SettingError('consoleClientId', consoleClientId, `it is only read with console=true and jwtIssuer (the stack's own pool makes the console's client): ${SETTING_RULES.consoleClientId}`);
    if (!/^[\x21-\x7E]{1,256}$/.test(consoleClientId)) throw new SettingError('consoleClientId', consoleClientId, SETTING_RULES.consoleClientId);
  }
  if (consoleOn && externalIssuer && consoleClientId === undefined) throw new SettingError('consoleClientId', null, `required with console=true and jwtIssuer: ${SETTING_RULES.consoleClientId}`);
  if (consoleOn && !externalIssuer && machineClients.length >= MAX_JWT_AUDIENCES) {
    throw new SettingError('machineClients', `${machineClients.length} accounts`, `at most ${MAX_JWT_AUDIENCES - 1} with console=true (the console's app client takes one of API Gateway's ${MAX_JWT_AUDIENCES} audiences per JWT authorizer)`);
  }

  const apiDomain = readApiDomain(scope, input, raw);

  return {
    stage,
    memorySize,
    alarmEmail,
    alarmTopicArn,
    externalIssuer,
    cognitoDomainPrefix,
    accountClaim,
    resourceServer,
    machineClients,
    httpConcurrency,
    invokeConcurrency,
    apiRateLimit,
    apiBurstLimit,
    terminationProtection,
    history,
    console: consoleOn ? { ...(consoleClientId !== undefined && { clientId: consoleClientId }) } : undefined,
    apiDomain,
  };
}

/** apiDomainName and apiCertificateArn together or neither; the zone and the endpoint switch only with them. */
function readApiDomain(scope: Construct, input: SettingsInput, raw: (key: SettingKey) => string | undefined): ApiDomainSettings | undefined {
  const domainName = input.apiDomainName ?? raw('apiDomainName');
  const certificateArn = input.apiCertificateArn ?? raw('apiCertificateArn');
  const hostedZoneId = input.apiHostedZoneId ?? raw('apiHostedZoneId');
  const disable = booleanSetting('disableExecuteApiEndpoint', input.disableExecuteApiEndpoint, raw('disableExecuteApiEndpoint'), false);
  if (domainName === undefined) {
    if (certificateArn !== undefined) throw new SettingError('apiCertificateArn', certificateArn, `it is only read with apiDomainName: ${SETTING_RULES.apiCertificateArn}`);
    if (hostedZoneId !== undefined) throw new SettingError('apiHostedZoneId', hostedZoneId, SETTING_RULES.apiHostedZoneId);
    if (disable) throw new SettingError('disableExecuteApiEndpoint', true, `without apiDomainName the API would answer nowhere: ${SETTING_RULES.disableExecuteApiEndpoint}`);
    return undefined;
  }
  checkDomainName(domainName);
  if (certificateArn === undefined) throw new SettingError('apiCertificateArn', null, `required with apiDomainName: ${SETTING_RULES.apiCertificateArn}`);
  checkCertificateArn(certificateArn, knownRegion(scope));
  if (hostedZoneId !== undefined) checkHostedZoneId(hostedZoneId);
  return { domainName, certificateArn, hostedZoneId, disableExecuteApiEndpoint: disable };
}
