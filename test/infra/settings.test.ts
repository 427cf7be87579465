// Every setting, good and bad, as context (`-c key=value`) and as props: a bad
// one is refused at synth with its key, its value and its rule.
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { closestKey, DEFAULT_LIMITS, readSettings, SETTING_KEYS, SETTING_RULES, SettingError, type SettingKey, type SettingsInput } from '../../infra/settings.js';

const read = (context: Record<string, unknown>, input: SettingsInput = {}) => readSettings(new App({ context }), input);
const refusal = (context: Record<string, unknown>, input: SettingsInput = {}): SettingError => {
  try {
    read(context, input);
  } catch (error) {
    if (error instanceof SettingError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(context)}`);
};

const ISSUER = { jwtIssuer: 'https://idp.example.com/', jwtAudience: 'aud' };
const CERTIFICATE = 'arn:aws:acm:eu-west-1:111122223333:certificate/12345678-90ab-cdef-1234-567890abcdef';
const DOMAIN = { apiDomainName: 'api.example.com', apiCertificateArn: CERTIFICATE };
/** Settings read in a stack whose region synth knows (CDK_DEFAULT_REGION or an explicit env). */
const readInRegion = (region: string, context: Record<string, unknown>) => readSettings(new Stack(new App({ context }), 'S', { env: { region } }));

/** For each key: context values it takes (with what else they need) and ones it refuses. */
const cases: Record<SettingKey, { good: Record<string, unknown>[]; bad: Record<string, unknown>[] }> = {
  stage: { good: [{ stage: 'prod' }, { stage: 'staging-2' }], bad: [{ stage: 'Prod' }, { stage: '2prod' }, { stage: 'a'.repeat(21) }, { stage: 'pr od' }] },
  memorySize: { good: [{ memorySize: 128 }, { memorySize: '10240' }], bad: [{ memorySize: 64 }, { memorySize: 10241 }, { memorySize: '512.5' }, { memorySize: 'big' }] },
  alarmEmail: { good: [{ alarmEmail: 'ops@example.com' }, { alarmEmail: 'on-call+asr@ops.example.co.uk' }], bad: [{ alarmEmail: 'not-an-email' }, { alarmEmail: 'ops@localhost' }, { alarmEmail: 'a b@example.com' }, { alarmEmail: 'a@example.com,b@example.com' }] },
  alarmTopicArn: {
    good: [{ alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:pager' }, { alarmTopicArn: 'arn:aws-cn:sns:cn-north-1:111122223333:ops_alarms' }],
    bad: [{ alarmTopicArn: 'pager' }, { alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:pager.fifo' }, { alarmTopicArn: 'arn:aws:sqs:eu-west-1:111122223333:q' }],
  },
  jwtIssuer: {
    good: [ISSUER, { jwtIssuer: 'https://login.example.com/tenant/v2.0', jwtAudience: 'a' }],
    bad: [{ jwtIssuer: 'http://idp.example.com/', jwtAudience: 'a' }, { jwtIssuer: 'idp.example.com', jwtAudience: 'a' }, { jwtIssuer: 'https://idp.example.com/?x=1', jwtAudience: 'a' }],
  },
  jwtAudience: {
    good: [{ ...ISSUER, jwtAudience: 'a, b ,c' }],
    bad: [{ jwtAudience: 'a' }, { jwtIssuer: ISSUER.jwtIssuer }, { ...ISSUER, jwtAudience: Array.from({ length: 51 }, (_, i) => `a${i}`).join(',') }],
  },
  cognitoDomainPrefix: {
    good: [{ cognitoDomainPrefix: 'acme-status' }, { cognitoDomainPrefix: 'a1' }],
    bad: [{ cognitoDomainPrefix: 'my-cognito-pool' }, { cognitoDomainPrefix: 'aws-pool' }, { cognitoDomainPrefix: 'amazonish' }, { cognitoDomainPrefix: 'Upper' }, { cognitoDomainPrefix: '-lead' }, { ...ISSUER, cognitoDomainPrefix: 'ok-prefix' }],
  },
  accountClaim: {
    good: [{ accountClaim: 'tenant' }, { accountClaim: 'custom:account' }, { accountClaim: 'https://acme.example.com/account' }, { accountClaim: 'https://acme.example.com/claims/account_id' }],
    bad: [{ accountClaim: 'scope' }, { accountClaim: 'client_id' }, { accountClaim: 'has space' }, { accountClaim: 'https://acme.example.com/' }, { accountClaim: 'https://acme.example.com/a b' }, { accountClaim: '1abc' }],
  },
  resourceServer: { good: [{ resourceServer: 'api://x' }, { resourceServer: 'https://api.example.com' }], bad: [{ resourceServer: 'has space' }, { resourceServer: 'quote"d' }, { resourceServer: 'x'.repeat(257) }] },
  machineClients: {
    good: [{ machineClients: '123, acme-eu,123' }],
    bad: [{ machineClients: 'ok,not ok' }, { ...ISSUER, machineClients: '1' }, { machineClients: Array.from({ length: 51 }, (_, i) => `a${i}`).join(',') }],
  },
  httpConcurrency: { good: [{ httpConcurrency: 'none' }, { httpConcurrency: '850' }], bad: [{ httpConcurrency: 0 }, { httpConcurrency: 100000 }, { httpConcurrency: '2.5' }, { httpConcurrency: 'lots' }] },
  invokeConcurrency: { good: [{ invokeConcurrency: 'none' }, { invokeConcurrency: 1 }], bad: [{ invokeConcurrency: -1 }, { invokeConcurrency: 900 }] },
  lambdaConcurrencyQuota: { good: [{ lambdaConcurrencyQuota: 5000, httpConcurrency: 4000, invokeConcurrency: 900 }], bad: [{ lambdaConcurrencyQuota: 0 }, { lambdaConcurrencyQuota: 200 }] },
  apiRateLimit: { good: [{ apiRateLimit: '12.5' }, { apiRateLimit: 10000 }], bad: [{ apiRateLimit: 'fast' }, { apiRateLimit: 0 }, { apiRateLimit: 10001 }] },
  apiBurstLimit: { good: [{ apiBurstLimit: 30 }, { apiBurstLimit: 5000 }], bad: [{ apiBurstLimit: 'none' }, { apiBurstLimit: 5001 }, { apiBurstLimit: 1.5 }] },
  terminationProtection: { good: [{ terminationProtection: 'true' }, { terminationProtection: false }], bad: [{ terminationProtection: 'yes' }] },
  historyMaxAgeDays: { good: [{ historyMaxAgeDays: 1 }, { historyMaxAgeDays: '3650' }], bad: [{ historyMaxAgeDays: 0 }, { historyMaxAgeDays: 3651 }, { historyMaxAgeDays: '7.5' }, { historyMaxAgeDays: 'forever' }] },
  historyMaxBytes: { good: [{ historyMaxBytes: 1048576 }, { historyMaxBytes: '1073741824' }], bad: [{ historyMaxBytes: 1048575 }, { historyMaxBytes: 1073741825 }, { historyMaxBytes: '16MB' }] },
  console: {
    good: [{ console: 'true' }, { console: false }, { console: 'true', machineClients: Array.from({ length: 49 }, (_, i) => `a${i}`).join(',') }, { ...ISSUER, console: 'true', consoleClientId: '0oa1b2c3' }],
    bad: [{ console: 'yes' }, { ...ISSUER, console: 'true' }, { console: 'true', machineClients: Array.from({ length: 50 }, (_, i) => `a${i}`).join(',') }],
  },
  consoleClientId: {
    good: [{ ...ISSUER, console: 'true', consoleClientId: 'spa-client' }],
    bad: [{ ...ISSUER, consoleClientId: 'spa-client' }, { console: 'true', consoleClientId: 'spa-client' }, { ...ISSUER, console: 'true', consoleClientId: 'has space' }],
  },
  apiDomainName: {
    good: [DOMAIN, { ...DOMAIN, apiDomainName: 'status-reasons.eu.ops.example.co.uk' }, { ...DOMAIN, apiDomainName: 'x1.io' }],
    bad: [
      { apiDomainName: 'api.example.com' },
      { ...DOMAIN, apiDomainName: 'localhost' },
      { ...DOMAIN, apiDomainName: 'API.example.com' },
      { ...DOMAIN, apiDomainName: '*.example.com' },
      { ...DOMAIN, apiDomainName: 'api.example.com.' },
      { ...DOMAIN, apiDomainName: '-api.example.com' },
      { ...DOMAIN, apiDomainName: 'https://api.example.com' },
      { ...DOMAIN, apiDomainName: '10.0.0.1' },
      { ...DOMAIN, apiDomainName: `${'a'.repeat(64)}.example.com` },
    ],
  },
  apiCertificateArn: {
    good: [DOMAIN, { ...DOMAIN, apiCertificateArn: 'arn:aws-cn:acm:cn-north-1:111122223333:certificate/abc-123' }],
    bad: [
      { apiCertificateArn: CERTIFICATE },
      { ...DOMAIN, apiCertificateArn: 'certificate/12345678' },
      { ...DOMAIN, apiCertificateArn: 'arn:aws:iam::111122223333:server-certificate/api' },
      { ...DOMAIN, apiCertificateArn: 'arn:aws:acm:eu-west-1:1111:certificate/abc' },
    ],
  },
  apiHostedZoneId: {
    good: [{ ...DOMAIN, apiHostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    bad: [{ ...DOMAIN, apiHostedZoneId: 'z0123' }, { ...DOMAIN, apiHostedZoneId: '/hostedzone/Z0123' }, { ...DOMAIN, apiHostedZoneId: 'example.com' }, { apiHostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
  },
  disableExecuteApiEndpoint: {
    good: [{ ...DOMAIN, disableExecuteApiEndpoint: 'true' }, { ...DOMAIN, disableExecuteApiEndpoint: false }, { disableExecuteApiEndpoint: 'false' }],
    bad: [{ disableExecuteApiEndpoint: 'true' }, { ...DOMAIN, disableExecuteApiEndpoint: 'yes' }],
  },
};

describe('settings', () => {
  it('has a rule and test cases for every key', () => {
    expect(Object.keys(cases).sort()).toEqual([...SETTING_KEYS].sort());
    for (const key of SETTING_KEYS) expect(SETTING_RULES[key].length).toBeGreaterThan(20);
  });

  describe.each(SETTING_KEYS)('%s', (key) => {
    it.each(cases[key].good)('takes %j', (context) => {
      expect(() => read(context)).not.toThrow();
    });
    it.each(cases[key].bad)('refuses %j, naming the key, the value and the rule', (context) => {
      const error = refusal(context);
      expect(SETTING_KEYS).toContain(error.key);
      expect(error.message).toMatch(new RegExp(`^${error.key}=`));
      expect(error.message).toContain(' is refused: ');
      expect(error.message.length).toBeGreaterThan(60);
    });
  });

  it('names the key whose value is wrong', () => {
    expect(refusal({ alarmEmail: 'not-an-email' }).message).toBe(`alarmEmail="not-an-email" is refused: ${SETTING_RULES.alarmEmail}`);
    expect(refusal({ jwtIssuer: 'http://idp.example.com/', jwtAudience: 'a' }).key).toBe('jwtIssuer');
    expect(refusal({ jwtAudience: 'a' }).message).toMatch(/^jwtAudience="a" is refused: it is only read with jwtIssuer/);
    expect(refusal({ cognitoDomainPrefix: 'my-cognito-pool' }).message).toMatch(/not containing "aws", "amazon" or "cognito"/);
    expect(refusal({ httpConcurrency: 100000 }).message).toMatch(/^httpConcurrency=100000 is refused: httpConcurrency \+ invokeConcurrency = 100050 exceeds lambdaConcurrencyQuota \(1000\) - 100/);
    expect(refusal({ accountClaim: 'https://acme.example.com/' }).message).toContain('namespaced URL claim (https://<host>/<path>');
  });

  it('refuses a misspelt key with the closest known one, and any other key of its own form', () => {
    expect(refusal({ machineClient: '123' }).message).toMatch(/^machineClient="123" is refused: machineClient is not a setting of this app; did you mean machineClients\?/);
    expect(refusal({ alarmemail: 'ops@example.com' }).message).toContain('did you mean alarmEmail?');
    expect(refusal({ httpConcurency: '10' }).message).toContain('did you mean httpConcurrency?');
    expect(refusal({ jwtIssuer2: 'x' }).message).toContain('did you mean jwtIssuer?');
    expect(refusal({ frobnicate: '1' }).message).toMatch(/frobnicate is not a setting of this app \(settings: stage, memorySize/);
    expect(closestKey('apiRate')).toBe('apiRateLimit');
    expect(refusal({ apiDomain: 'api.example.com' }).message).toContain('did you mean apiDomainName?');
    expect(refusal({ apiCertificate: CERTIFICATE }).message).toContain('did you mean apiCertificateArn?');
    expect(refusal({ apiHostedZone: 'Z1' }).message).toContain('did you mean apiHostedZoneId?');
    expect(refusal({ disableExecuteApiEndPoints: 'true' }).message).toContain('did you mean disableExecuteApiEndpoint?');
  });

  it('takes the custom domain together with its certificate, in the stack\'s partition and region when synth knows it', () => {
    expect(read({ ...DOMAIN, apiHostedZoneId: 'Z0123456789ABCDEFGHIJ', disableExecuteApiEndpoint: 'true' }).apiDomain).toEqual({
      domainName: 'api.example.com',
      certificateArn: CERTIFICATE,
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      disableExecuteApiEndpoint: true,
    });
    expect(read({}).apiDomain).toBeUndefined();
    expect(refusal({ apiDomainName: 'api.example.com' }).message).toMatch(/^apiCertificateArn=null is refused: required with apiDomainName/);
    expect(refusal({ apiCertificateArn: CERTIFICATE }).message).toMatch(/^apiCertificateArn="arn:aws:acm:.*" is refused: it is only read with apiDomainName/);
    expect(refusal({ ...DOMAIN, apiDomainName: '*.example.com' }).message).toBe(`apiDomainName="*.example.com" is refused: ${SETTING_RULES.apiDomainName}`);
    expect(readInRegion('eu-west-1', DOMAIN).apiDomain?.certificateArn).toBe(CERTIFICATE);
    expect(() => readInRegion('us-east-1', DOMAIN)).toThrow(/^apiCertificateArn="arn:aws:acm:eu-west-1:.*" is refused: the certificate is in aws\/eu-west-1, the stack in aws\/us-east-1/);
    expect(() => readInRegion('cn-north-1', { ...DOMAIN, apiCertificateArn: 'arn:aws:acm:cn-north-1:111122223333:certificate/abc' })).toThrow(/the certificate is in aws\/cn-north-1, the stack in aws-cn\/cn-north-1/);
    // The partition is CDK's region fact, including the partitions a prefix list would miss (eu-isoe-*: aws-iso-e).
    const isoE = 'arn:aws-iso-e:acm:eu-isoe-west-1:111122223333:certificate/abc';
    expect(readInRegion('eu-isoe-west-1', { ...DOMAIN, apiCertificateArn: isoE }).apiDomain?.certificateArn).toBe(isoE);
    expect(() => readInRegion('eu-isoe-west-1', { ...DOMAIN, apiCertificateArn: 'arn:aws:acm:eu-isoe-west-1:111122223333:certificate/abc' })).toThrow(/the stack in aws-iso-e\/eu-isoe-west-1/);
    expect(refusal({ disableExecuteApiEndpoint: 'true' }).message).toMatch(/^disableExecuteApiEndpoint=true is refused: without apiDomainName the API would answer nowhere/);
  });

  it('refuses a retired key with what to do instead: nextTokenSecretVersion (the secret is read at run time now)', () => {
    expect(refusal({ nextTokenSecretVersion: 'EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE' }).message).toMatch(/^nextTokenSecretVersion="EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE" is refused: no longer a setting: the function reads the NextToken secret at run time/);
  });

  it("leaves CDK's own context alone (feature flags, aws:cdk:*, cli-telemetry)", () => {
    expect(() => read({ 'cli-telemetry': false, '@aws-cdk/core:checkSecretUsage': true, 'aws:cdk:bundling-stacks': [], 'acknowledged-issue-numbers': [1] })).not.toThrow();
  });

  it('has the documented defaults, and props win over context', () => {
    const defaults = read({});
    expect(defaults).toMatchObject({
      stage: undefined,
      memorySize: 512,
      accountClaim: 'account',
      httpConcurrency: DEFAULT_LIMITS.httpConcurrency,
      invokeConcurrency: DEFAULT_LIMITS.invokeConcurrency,
      apiRateLimit: 500,
      apiBurstLimit: 100,
      terminationProtection: false,
      history: { maxAgeDays: 35, maxBytes: 16 * 1024 * 1024 },
      machineClients: [],
      externalIssuer: undefined,
    });
    expect(read({ memorySize: 1024 }, { memorySize: 256 }).memorySize).toBe(256);
    expect(read({ historyMaxAgeDays: '7' }, { historyMaxBytes: 2 ** 21 }).history).toEqual({ maxAgeDays: 7, maxBytes: 2 ** 21 });
    expect(read({ httpConcurrency: 20 }, { httpConcurrency: null }).httpConcurrency).toBeUndefined();
    expect(read({ machineClients: '123, acme-eu,123' }).machineClients).toEqual(['123', 'acme-eu']);
    expect(read({ ...ISSUER, jwtAudience: 'a, b' }).externalIssuer).toEqual({ issuer: ISSUER.jwtIssuer, audience: ['a', 'b'] });
    expect(() => read({}, { alarmEmail: 'nope' })).toThrow(SettingError);
    expect(defaults.console).toBeUndefined();
    expect(read({ console: 'true' }).console).toEqual({});
    expect(read({ ...ISSUER, console: 'true', consoleClientId: 'spa' }).console).toEqual({ clientId: 'spa' });
    expect(refusal({ ...ISSUER, console: 'true' }).message).toMatch(/^consoleClientId=null is refused: required with console=true and jwtIssuer/);
  });
});
