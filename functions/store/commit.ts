// The commit: one TransactWriteItems with the write's ClientRequestToken (the
// lease's token), so DynamoDB applies it once however often it is sent and
// answers a resend as it did the first. What its failure means: a refused
// idempotency record answers that record's first answer; a refused `#META`
// means the lease is gone (nothing applied); no answer by the deadline is
// settled by fencing the lease, and only a fence without an answer leaves the
// outcome unknown (`CommitUnknown`). Also the removal of a failed write's
// history parts. May import the domain's types, and the store's batch, context,
// errors, history (types), lease and records only.
import { TransactWriteCommand } from '../aws/dynamodb.js';
import type { IdempotencyKey, WriteOutcome } from '../domain/store.js';
import { batchWrite, type TransactItem } from './batch.js';
import { busy, type StoreContext } from './context.js';
import { cancellationCodes, DeadlineExceeded, isConditionFailure, refusedItem } from './errors.js';
import type { EncodedEntry } from './history.js';
import { plain, type AccountLeases, type Lease } from './lease.js';
import { freshRecord, replay } from './records.js';

/** What a write that sent history parts keeps, after its last commit attempt and fence, to remove them. */
export const PARTS_CLEANUP_MS = 400;

/** The commit was sent, and whether it was applied could not be found out in time. */
export class CommitUnknown extends Error {
  constructor() {
    super('commit outcome unknown');
    this.name = 'CommitUnknown';
  }
}

/** A commit that carried waiters' creates was refused because one of them left the line meanwhile: nothing was applied. */
export class MemberLeft extends Error {
  /** `#META` as the refusal showed it: the line as it is now. */
  constructor(readonly seen: Record<string, unknown>) {
    super('a waiter of the group left the line');
    this.name = 'MemberLeft';
  }
}

/**
 * Sends the commit. DynamoDB applies a TransactWriteItems sent again with the
 * same ClientRequestToken only once, and answers it as the first, so retries
 * after a lost answer are safe. Refused: the lease is gone (nothing applied:
 * busy), or the key was committed by another request (nothing applied: its
 * record answers). Out of time with an attempt that may have landed: the lease
 * is fenced (`fence`) to find out. Undefined: committed. The idempotency
 * record, if any, is the last action. `group`: the commit carries waiters'
 * creates (group.ts); refused with the lease still ours, one of them left the
 * line (MemberLeft). `clientToken`: the commit's ClientRequestToken, the
 * lease's token unless an earlier commit of this lease was refused.
 */
export async function commit(
  ctx: StoreContext,
  leases: AccountLeases,
  accountId: string,
  lease: Lease,
  actions: TransactItem[],
  key: IdempotencyKey | undefined,
  giveBack: boolean,
  deadline: number,
  group = false,
  clientToken = lease.token,
): Promise<WriteOutcome | undefined> {
  const command = new TransactWriteCommand({ TransactItems: actions, ClientRequestToken: clientToken });
  try {
    await ctx.calls.send('TransactWriteItems', command, deadline);
    return undefined;
  } catch (error) {
    if (isConditionFailure(error)) {
      const seen = plain(refusedItem(error, 0));
      if (group && cancellationCodes(error)[0] === 'ConditionalCheckFailed' && seen?.lockToken === lease.token) throw new MemberLeft(seen);
      const keyIndex = actions.length - 1;
      if (key && cancellationCodes(error)[keyIndex] === 'ConditionalCheckFailed') {
        const seen = plain(refusedItem(error, keyIndex));
        const record = seen && freshRecord(ctx, seen);
        if (record) {
          await leases.release(accountId, lease, giveBack, deadline + 500).catch(() => {});
          // Under the lease nothing else committed: the account is at the lease's revision.
          return replay(ctx, accountId, record, key, lease.meta.revision);
        }
      }
      throw busy('The write took too long and lost its turn; nothing was changed. Try again.');
    }
    if (error instanceof DeadlineExceeded && error.mayHaveApplied) {
      if (await fence(leases, accountId, lease, giveBack, deadline + 400)) return undefined;
      throw busy('DynamoDB did not confirm the write in time, and it was not applied; nothing was changed. Try again.');
    }
    throw error;
  }
}

/** Whether a commit whose answer never came was applied (AccountLeases.fence); no answer to that either: CommitUnknown. */
async function fence(leases: AccountLeases, accountId: string, lease: Lease, giveBack: boolean, deadline: number): Promise<boolean> {
  try {
    return await leases.fence(accountId, lease, giveBack, deadline);
  } catch {
    throw new CommitUnknown();
  }
}

/** Best effort: a failed or replayed write's own history parts (no committed head names its token, so they are never read). */
export async function removeParts(ctx: StoreContext, parts: EncodedEntry['parts'], deadline: number): Promise<void> {
  if (!parts.length) return;
  await batchWrite(
    ctx,
    parts.map((part) => ({ DeleteRequest: { Key: { pk: part.pk, sk: part.sk } } })),
    deadline,
  ).catch(() => {});
}
