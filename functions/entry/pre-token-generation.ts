// Cognito's pre-token-generation trigger (event version 3, which Cognito also
// sends for client-credentials tokens on the Essentials plan): puts the account
// of the requesting machine client into its access token, under the claim the
// API reads (ACCOUNT_CLAIM, default `account`). The account comes from the
// table's `CLIENT#<clientId>` item, which the stack writes for each machine client.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { BasePreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { DEFAULT_ACCOUNT_CLAIM, tokenRulesFromEnv } from '../platform/http/middlewares/jwt-claims.js';
import { logger } from '../platform/logger.js';
import { CLIENT_ACCOUNT_ATTRIBUTE, clientKey } from '../platform/machine-clients.js';

export interface PreTokenGenerationOptions {
  /** The account of an app client, or undefined when it has none. */
  accountOf: (clientId: string) => Promise<string | undefined>;
  accountClaim?: string;
}

/** The mapping as the stack writes it: one item per client in the table. */
export function accountsInTable(client: DynamoDBClient, tableName: string): (clientId: string) => Promise<string | undefined> {
  return async (clientId) => {
    const { pk, sk } = clientKey(clientId);
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ProjectionExpression: CLIENT_ACCOUNT_ATTRIBUTE }));
    return Item?.[CLIENT_ACCOUNT_ATTRIBUTE]?.S;
  };
}

/** Version 3 events: client credentials, and (for users, which this pool has none of) the sign-in sources. */
export type PreTokenGenerationEvent = BasePreTokenGenerationV3TriggerEvent<string>;

export function createPreTokenGeneration({ accountOf, accountClaim = DEFAULT_ACCOUNT_CLAIM }: PreTokenGenerationOptions) {
  return async (event: PreTokenGenerationEvent): Promise<PreTokenGenerationEvent> => {
    // Only machine clients act for an account; a token for anything else is left as Cognito made it.
    if (event.triggerSource !== 'TokenGeneration_ClientCredentials') return event;
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

let cached: ReturnType<typeof createPreTokenGeneration> | undefined;
/** The deployed trigger: the table and the claim name from its environment. */
export const handler = (event: PreTokenGenerationEvent) => {
  cached ??= createPreTokenGeneration({
    accountOf: accountsInTable(new DynamoDBClient({}), process.env.TABLE_NAME ?? ''),
    accountClaim: tokenRulesFromEnv().accountClaim,
  });
  return cached(event);
};
