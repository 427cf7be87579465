// Who may use which Amazon Connect instance: the grants the HTTP function
// checks every Connect request against (functions/adapters/connect/grants.ts),
// kept in the service's table so that they grow without touching IAM or the
// function's environment. Their partitions start with `GRANT#`, which no key of
// the accounts' (`ACCOUNT#<id>`) nor of the machine clients' (`CLIENT#`) does.
//
//   pk = GRANT#<principal ARN>, sk = INSTANCE#<instance id>
//       one instance granted by `npm run tenants -- grant` (infra/tenants.ts);
//       revoked by deleting it.
//   pk = GRANT#<principal ARN>, sk = #STACK#<n>, instances = string set
//       the instances the stack's n-th grantConnectInstances call gave the
//       principal, written by the stack at deploy (its custom resource owns
//       the item; infra/constructs/connect-grants.ts).
//
// The principal is the form `principalOf` derives from the verified caller (a
// role or a user by name: `arn:aws:iam::<account>:role/<name>`).
import type { AttributeValue, GetItemCommandOutput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import type { DynamoClient } from '../aws/dynamodb.js';

export const GRANT_PARTITION_PREFIX = 'GRANT#';
export const GRANT_INSTANCE_PREFIX = 'INSTANCE#';
export const STACK_GRANT_SORT_PREFIX = '#STACK#';
/** The string set of the stack's item. */
export const GRANT_INSTANCES_ATTRIBUTE = 'instances';

export const grantPartition = (principal: string) => `${GRANT_PARTITION_PREFIX}${principal}`;
export const instanceGrantKey = (principal: string, instanceId: string) => ({ pk: grantPartition(principal), sk: `${GRANT_INSTANCE_PREFIX}${instanceId}` });
export const stackGrantKey = (principal: string, n = 0) => ({ pk: grantPartition(principal), sk: `${STACK_GRANT_SORT_PREFIX}${n}` });

/** The two reads the grant check makes (its owner caches them). */
export interface GrantReads {
  /** Whether the principal has any grant at all (one item of its partition). */
  anyGranted(principal: string): Promise<boolean>;
  /** Whether `npm run tenants -- grant` gave the principal this instance. */
  instanceGranted(principal: string, instanceId: string): Promise<boolean>;
  /** The instances the stack gave the principal (empty when none). */
  stackGranted(principal: string): Promise<ReadonlySet<string>>;
}

export function grantReadsInTable(client: DynamoClient, tableName: string): GrantReads {
  const key = ({ pk, sk }: { pk: string; sk: string }) => ({ pk: { S: pk }, sk: { S: sk } });
  return {
    async anyGranted(principal) {
      const { Items } = await client.call<QueryCommandOutput>('Query', {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: grantPartition(principal) } },
        ProjectionExpression: 'pk',
        Limit: 1,
      });
      return (Items?.length ?? 0) > 0;
    },
    async instanceGranted(principal, instanceId) {
      const { Item } = await client.call<GetItemCommandOutput>('GetItem', { TableName: tableName, Key: key(instanceGrantKey(principal, instanceId)), ProjectionExpression: 'pk' });
      return Item !== undefined;
    },
    async stackGranted(principal) {
      const instances = new Set<string>();
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.call<QueryCommandOutput>('Query', {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :stack)',
          ExpressionAttributeValues: { ':pk': { S: grantPartition(principal) }, ':stack': { S: STACK_GRANT_SORT_PREFIX } },
          ProjectionExpression: '#i',
          ExpressionAttributeNames: { '#i': GRANT_INSTANCES_ATTRIBUTE },
          ...(start && { ExclusiveStartKey: start }),
        });
        for (const item of page.Items ?? []) for (const instance of item[GRANT_INSTANCES_ATTRIBUTE]?.SS ?? []) instances.add(instance);
        start = page.LastEvaluatedKey;
      } while (start);
      return instances;
    },
  };
}
