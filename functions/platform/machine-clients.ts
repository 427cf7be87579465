// Which Cognito app client acts for which account: one item per machine client
// in the service's table, written by the stack (infra/stack.ts) and read by the
// pre-token-generation trigger. Its partition key starts with `CLIENT#`, which
// no key of the store's (`ACCOUNT#<id>`) does. Constants only: the CDK app
// imports this.

export const CLIENT_PARTITION_PREFIX = 'CLIENT#';
export const CLIENT_SORT_KEY = '#CLIENT';
/** The item attribute that holds the account id. */
export const CLIENT_ACCOUNT_ATTRIBUTE = 'account';

export const clientKey = (clientId: string) => ({ pk: `${CLIENT_PARTITION_PREFIX}${clientId}`, sk: CLIENT_SORT_KEY });

/**
 * Claims the trigger must not be told to write: ones Cognito will not let it
 * override, and ones the API reads for something else.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'acr', 'amr', 'at_hash', 'aud', 'auth_time', 'azp', 'client_id', 'cognito:groups', 'cognito:username', 'device_key', 'event_id', 'exp',
  'iat', 'identities', 'iss', 'jti', 'nbf', 'nonce', 'origin_jti', 'scope', 'scp', 'sub', 'token_use', 'username', 'version',
]);
