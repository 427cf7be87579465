// Another writer's lease, set straight into an account's `#META`, for the
// tests of the lease line and of group commit: a holder that never commits,
// so that writers line up behind it until the test frees the lease.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { encodePlace } from '../../functions/store/lease-line.js';
import { setMetaItem } from './dynamo.js';

/** The token of the test's own holder. */
export const ANOTHER_WRITER = 'another-writer';

/** Another writer holds the lease until the test frees it; `extra` sets more of `#META` (`holdMs`, more places in `line`). */
export function holdLeaseItem(doc: DynamoDBDocumentClient, tableName: string, account: string, extra: Record<string, unknown> = {}): Promise<void> {
  const now = Date.now();
  return setMetaItem(doc, tableName, account, {
    lockToken: ANOTHER_WRITER,
    lockExpires: now + 60_000,
    lockFrom: 1,
    lockN: 0,
    lockKey: '',
    lockSince: now,
    nextId: 1,
    ...extra,
    // A holder keeps its place in the line until it commits.
    line: { [ANOTHER_WRITER]: encodePlace({ since: now, until: now + 60_000, deadline: now + 61_000, ids: 1, key: '' }), ...((extra.line as object | undefined) ?? {}) },
  });
}

/** The test's holder lets the lease go, as if it had died and its lease lapsed at once: the oldest waiter takes it. */
export const freeLeaseItem = (doc: DynamoDBDocumentClient, tableName: string, account: string): Promise<void> =>
  setMetaItem(doc, tableName, account, {}, ['lockToken', 'lockExpires', 'lockFrom', 'lockN', 'lockKey', 'lockSince', 'line.#another'], { '#another': ANOTHER_WRITER });
