// A Secrets Manager secret read at run time, cached per container: its current
// value (AWSCURRENT) and, when there is one, the value it replaced
// (AWSPREVIOUS). What the Connect adapter seals NextTokens with (the current)
// and opens them with (either), so that a rotation takes effect within the
// cache's lifetime, without a deploy, and the tokens sealed just before it keep
// opening until the secret is rotated again.
import { AwsJsonClient, retryingReads, type AwsJsonClientOptions } from '../aws/json-client.js';
import { TtlCache } from './ttl-cache.js';

export interface SecretVersions {
  current: string;
  previous?: string;
}

/** How long the values are kept per container. */
export const SECRET_CACHE_MS = 5 * 60_000;

export const SECRETS_MANAGER_PROTOCOL = { service: 'secretsmanager', targetPrefix: 'secretsmanager', jsonVersion: '1.1' } as const;

/** A Secrets Manager client for GetSecretValue, retried as the SDK's would be. */
export const secretsManagerClient = (options: AwsJsonClientOptions = {}) => new AwsJsonClient(SECRETS_MANAGER_PROTOCOL, options).use(retryingReads());

export function secretVersions(client: AwsJsonClient, secretId: string, ttlMs = SECRET_CACHE_MS): () => Promise<SecretVersions> {
  const cache = new TtlCache<SecretVersions>({ ttlMs, maxEntries: 1 });
  const read = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string | undefined> => {
    try {
      return (await client.call<{ SecretString?: string }>('GetSecretValue', { SecretId: secretId, VersionStage: stage })).SecretString;
    } catch (error) {
      // A secret never rotated has no AWSPREVIOUS.
      if (stage === 'AWSPREVIOUS' && (error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  };
  return () =>
    cache.get(secretId, async () => {
      const [current, previous] = await Promise.all([read('AWSCURRENT'), read('AWSPREVIOUS')]);
      if (!current) throw new Error(`secret ${secretId} has no AWSCURRENT string value`);
      return { current, ...(previous && previous !== current && { previous }) };
    });
}
