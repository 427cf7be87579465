// The two plain reads the other modules build on: `#META` by GetItem, and every
// item of a key range by Query (all pages), both consistent, both through
// `Calls` (so with the request's deadline and retries). Neither checks a
// revision: that is the read path's job (read-path.ts). May import the store's
// context and layout only.
import { GetCommand, QueryCommand } from '../aws/dynamodb.js';
import type { StoreContext } from './context.js';
import { META_SK, toMeta, type Meta } from './layout.js';

/** A key range of one partition: between two sort keys, by prefix, or from one key to another (at most `limit` items). */
export type KeyRange = { between: [string, string] } | { prefix: string } | { from: string; to: string; limit?: number };

export async function readMeta(ctx: StoreContext, pk: string, deadline: number): Promise<Meta> {
  const out = await ctx.calls.send<{ Item?: Record<string, unknown> }>(
    'GetItem',
    new GetCommand({ TableName: ctx.table, Key: { pk, sk: META_SK }, ConsistentRead: true }),
    deadline,
  );
  return toMeta(out.Item);
}

/** Every item of a key range (all pages), read consistently. */
export async function queryAll(ctx: StoreContext, pk: string, range: KeyRange, deadline: number): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  const limit = 'limit' in range ? range.limit : undefined;
  const [condition, values] =
    'prefix' in range
      ? ['pk = :pk AND begins_with(sk, :a)', { ':pk': pk, ':a': range.prefix }]
      : 'between' in range
        ? ['pk = :pk AND sk BETWEEN :a AND :b', { ':pk': pk, ':a': range.between[0], ':b': range.between[1] }]
        : ['pk = :pk AND sk BETWEEN :a AND :b', { ':pk': pk, ':a': range.from, ':b': range.to }];
  do {
    const out = await ctx.calls.send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>(
      'Query',
      new QueryCommand({
        TableName: ctx.table,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
        ...(limit !== undefined && { Limit: limit - items.length }),
      }),
      deadline,
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey && (limit === undefined || items.length < limit));
  return items;
}
