// Batch plumbing: BatchWriteItem of any number of idempotent puts and deletes,
// in chunks of 25, a few chunks at once, unprocessed items sent again with
// backoff, every chunk settled before it returns (no batch of a request lands
// after its answer). Also the shapes of a batch request and of a transaction's
// action, and the one turned into the other. May import the store's context,
// errors and retry only.
import { BatchWriteCommand } from '../aws/dynamodb.js';
import type { BatchWriteCommandInput, TransactWriteCommandInput } from '../aws/dynamodb.js';
import type { StoreContext } from './context.js';
import { DeadlineExceeded } from './errors.js';
import { backoffDelay, sleep } from './retry.js';

export type WriteRequestItem = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;

/** Writes items (idempotent puts and deletes) in batches, all settled before it returns; any failure fails it. */
export async function batchWrite(ctx: StoreContext, requests: WriteRequestItem[], deadline: number): Promise<void> {
  const chunks: WriteRequestItem[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_SIZE) chunks.push(requests.slice(i, i + BATCH_SIZE));
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      try {
        await batchChunk(ctx, chunk, deadline);
      } catch (error) {
        failures.push(error);
        return;
      }
    }
  };
  // Settled, every one, before this returns: no batch of this request lands after its answer.
  await Promise.allSettled(Array.from({ length: Math.min(ctx.batchConcurrency, chunks.length) }, worker));
  if (failures.length) throw failures[0];
}

async function batchChunk(ctx: StoreContext, chunk: WriteRequestItem[], deadline: number): Promise<void> {
  let pending = chunk;
  for (let attempt = 0; pending.length; attempt++) {
    if (attempt) {
      ctx.onEvent({ type: 'retry', operation: 'BatchWriteItem', cause: 'unprocessed', attempt });
      const wait = backoffDelay(Math.min(attempt, 8), { baseMs: 25, maxMs: 1_000 });
      if (ctx.now() + wait >= deadline) throw new DeadlineExceeded('BatchWriteItem', 'unprocessed', false);
      await sleep(wait);
    }
    const out = await ctx.calls.send<{ UnprocessedItems?: Record<string, WriteRequestItem[]> }>(
      'BatchWriteItem',
      new BatchWriteCommand({ RequestItems: { [ctx.table]: pending } }),
      deadline,
    );
    pending = out.UnprocessedItems?.[ctx.table] ?? [];
  }
}

/** A transaction's Put or Delete as a batch request (a large write sends its items before its commit). */
export function toBatchRequest(action: TransactItem): WriteRequestItem {
  if (action.Put) return { PutRequest: { Item: action.Put.Item } };
  return { DeleteRequest: { Key: action.Delete!.Key } };
}
