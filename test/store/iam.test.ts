// The functions' IAM policy (TABLE_ACTIONS) and the table's throttle alarm
// (THROTTLE_ALARM_OPERATIONS) must cover every call the store makes: every kind
// of write and read runs here, and each DynamoDB operation sent is checked
// against both lists.
import { beforeAll, describe, expect, it } from 'vitest';
import { createStatusReasons, deleteStatusReason, getStatusReason, listStatusReasons, replaceStatusReason } from '../../functions/domain/status-reasons.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { TABLE_ACTIONS, THROTTLE_ALARM_OPERATIONS } from '../../infra/stack.js';
import { faultyClient } from '../support/fault-layer.js';
import { createTestTable, dynamoEndpoint, newAccount, type TestTable } from '../support/dynamo.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

/** The IAM actions an operation needs (a transaction: its items' actions). */
function actionsOf(operation: string, input: Record<string, any>): string[] {
  if (operation === 'TransactWriteItems') return input.TransactItems.map((a: Record<string, unknown>) => `dynamodb:${Object.keys(a)[0] === 'Update' ? 'UpdateItem' : `${Object.keys(a)[0]}Item`}`);
  if (operation === 'TransactGetItems') return ['dynamodb:GetItem'];
  return [`dynamodb:${operation}`];
}

describe("the store's calls", () => {
  it('are all allowed by TABLE_ACTIONS and watched by the throttle alarm', async () => {
    const sent: { operation: string; input: Record<string, any> }[] = [];
    const { client } = faultyClient(dynamoEndpoint(), (call) => void sent.push(call));
    const store = new DynamoStatusReasonStore({ client, tableName: table.tableName, transactionItems: 5, historyBytesMax: 300, dirtyGraceMs: 0 });
    const account = newAccount();
    const idempotency = { key: 'lp:iam', fingerprint: 'f' };
    const reason = (text: string, deleted = false) => ({ text, state: 'Away' as const, enabled: true, deleted });
    await createStatusReasons(store, account, [reason('one')], { idempotency });
    await createStatusReasons(store, account, [reason('one')], { idempotency }); // a replay
    const many = await createStatusReasons(store, account, Array.from({ length: 30 }, (_, i) => reason(`many ${i}`, i % 10 === 0)));
    await replaceStatusReason(store, account, many.items[1]!.id, { text: 'changed', state: 'Online' });
    for (const r of many.items.slice(1, 8)) await deleteStatusReason(store, account, r.id); // past the history budget
    await createStatusReasons(store, account, [reason('after')]);
    await listStatusReasons(store, account, { includeDeleted: true });
    await getStatusReason(store, account, many.items[7]!.id, { includeDeleted: true }); // the last deleted: still kept

    const operations = new Set(sent.map((c) => c.operation));
    expect([...operations].sort()).toEqual(['BatchWriteItem', 'GetItem', 'Query', 'TransactGetItems', 'TransactWriteItems', 'UpdateItem']);
    const needed = new Set(sent.flatMap((c) => actionsOf(c.operation, c.input)));
    for (const action of needed) expect(TABLE_ACTIONS, action).toContain(action);
    for (const operation of operations) expect(THROTTLE_ALARM_OPERATIONS.map(String), operation).toContain(operation);
  });
});
