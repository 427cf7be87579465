// Cognito's pre-token-generation trigger (event version 3, which Cognito also
// sends for client-credentials tokens on the Essentials plan): puts the account
// into the access token, under the claim the API reads (ACCOUNT_CLAIM, default
// `account`). For a machine client the account comes from the table's
// `CLIENT#<clientId>` item, which the stack writes for each machine client. For
// a user signing in (the admin console) it is the user's `custom:account`
// attribute, which only an administrator can set, and the write scope stays in
// the token only for members of the writers' group.
import type { GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { DynamoClient } from '../aws/dynamodb.js';
import { retryingReads } from '../aws/json-client.js';
import type { BasePreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { DEFAULT_ACCOUNT_CLAIM, DEFAULT_RESOURCE_SERVER, tokenRulesFromEnv } from '../platform/http/middlewares/jwt-claims.js';
import { logger } from '../platform/logger.js';
import { CLIENT_ACCOUNT_ATTRIBUTE, clientKey } from '../platform/machine-clients.js';
import { DEFAULT_WRITER_GROUP, USER_ACCOUNT_ATTRIBUTE, WRITER_GROUP_ENV } from '../platform/cognito-pool.js';

export interface PreTokenGenerationOptions {
  /** The account of an app client, or undefined when it has none. */
  accountOf: (clientId: string) => Promise<string | undefined>;
  accountClaim?: string;
  /** Users in this group keep the write scope; others get read only. */
  writerGroup?: string;
  /** The pool's resource server, for the write scope's full name when the request lists no scopes. */
  resourceServer?: string;
}

const SCOPES_OF_SERVICE = { read: 'status-reasons:read', write: 'status-reasons:write' } as const;

/** Is this a service scope of the given kind, bare or as `<resource server>/<scope>`? */
const isScope = (scope: string, name: string) => scope === name || scope.endsWith(`/${name}`);

/** The mapping as the stack writes it: one item per client in the table. */
export function accountsInTable(client: DynamoClient, tableName: string): (clientId: string) => Promise<string | undefined> {
  return async (clientId) => {
    const { pk, sk } = clientKey(clientId);
    const { Item } = await client.call<GetItemCommandOutput>('GetItem', { TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ProjectionExpression: CLIENT_ACCOUNT_ATTRIBUTE });
    return Item?.[CLIENT_ACCOUNT_ATTRIBUTE]?.S;
  };
}

/** Version 3 events: client credentials, and the user sign-in sources (hosted sign-in, authentication, refresh, …). */
export type PreTokenGenerationEvent = BasePreTokenGenerationV3TriggerEvent<string>;

export function createPreTokenGeneration({ accountOf, accountClaim = DEFAULT_ACCOUNT_CLAIM, writerGroup = DEFAULT_WRITER_GROUP, resourceServer = DEFAULT_RESOURCE_SERVER }: PreTokenGenerationOptions) {
  return async (event: PreTokenGenerationEvent): Promise<PreTokenGenerationEvent> => {
    if (event.triggerSource !== 'TokenGeneration_ClientCredentials') return forUser(event, { accountClaim, writerGroup, resourceServer });
    const clientId = event.callerContext.clientId;
    const account = await accountOf(clientId);
    if (account === undefined) {
      // Refuse the token (Cognito answers the token request with an error) rather than issue one every route would refuse.
      logger.warn('a client-credentials token was asked for by an app client with no account', { clientId });
      throw new Error(`App client ${clientId} is not registered for an account of the agent status reasons service.`);
    }
    event.response = {
      claimsAndScopeOverrideDetails: {
        ...event.response?.claimsAndScopeOverrideDetails,
        accessTokenGeneration: { claimsToAddOrOverride: { [accountClaim]: account } },
      },
    };
    return event;
  };
}

/**
 * A user's token (sign-in, refresh, …): the account from the user's
 * `custom:account`; the write scope suppressed unless the user is in the
 * writers' group. A user without an account keeps no service scope at all, and
 * gets no account claim: every route refuses the token, and the console says why.
 */
function forUser(event: PreTokenGenerationEvent, rules: { accountClaim: string; writerGroup: string; resourceServer: string }): PreTokenGenerationEvent {
  const account = event.request.userAttributes?.[USER_ACCOUNT_ATTRIBUTE]?.trim();
  const groups = event.request.groupConfiguration?.groupsToOverride ?? [];
  const requested = event.request.scopes ?? [];
  const names = account ? [SCOPES_OF_SERVICE.write] : [SCOPES_OF_SERVICE.read, SCOPES_OF_SERVICE.write];
  const suppress = account && groups.includes(rules.writerGroup) ? [] : names.flatMap((name) => {
    const listed = requested.filter((scope) => isScope(scope, name));
    return listed.length ? listed : [`${rules.resourceServer}/${name}`];
  });
  const accessTokenGeneration = {
    ...(account && { claimsToAddOrOverride: { [rules.accountClaim]: account } }),
    ...(suppress.length && { scopesToSuppress: suppress }),
  };
  if (!account) logger.warn('a user without an account signed in; the token gets no service scope', { userName: event.userName });
  event.response = {
    claimsAndScopeOverrideDetails: { ...event.response?.claimsAndScopeOverrideDetails, accessTokenGeneration },
  };
  return event;
}

let cached: ReturnType<typeof createPreTokenGeneration> | undefined;
/** The deployed trigger: the table and the claim name from its environment. */
export const handler = (event: PreTokenGenerationEvent) => {
  cached ??= createPreTokenGeneration({
    accountOf: accountsInTable(new DynamoClient().use(retryingReads()), process.env.TABLE_NAME ?? ''),
    accountClaim: tokenRulesFromEnv().accountClaim,
    writerGroup: process.env[WRITER_GROUP_ENV] || DEFAULT_WRITER_GROUP,
    resourceServer: tokenRulesFromEnv().resourceServer ?? DEFAULT_RESOURCE_SERVER,
  });
  return cached(event);
};
