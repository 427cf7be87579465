// Shared by the construct tests: a bare stack (no bundling) in a fresh App, and
// the table, functions and API the later constructs need as props.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Api, jwtAuthorizer, type ApiProps } from '../../../infra/constructs/api.js';
import { Data } from '../../../infra/constructs/data.js';
import { Functions } from '../../../infra/constructs/functions.js';
import { FIXTURE_ENTRY } from '../helpers.js';

export const bareStack = (): Stack => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bare');

export function withFunctions(stack: Stack = bareStack()) {
  const { table } = new Data(stack, 'Data');
  const functions = new Functions(stack, 'Functions', {
    table,
    entry: FIXTURE_ENTRY,
    memorySize: 256,
    httpConcurrency: 7,
    invokeConcurrency: undefined,
    accountClaim: 'account',
    resourceServer: undefined,
  });
  return { stack, table, functions };
}

export function withApi(stack: Stack = bareStack(), customDomain?: ApiProps['customDomain']) {
  const built = withFunctions(stack);
  const api = new Api(stack, 'Api', { handler: built.functions.httpFunction, authorizer: jwtAuthorizer('https://idp.example.com/', ['aud']), rateLimit: 10, burstLimit: 5, customDomain });
  return { ...built, api };
}

export const templateOf = (stack: Stack) => Template.fromStack(stack);
