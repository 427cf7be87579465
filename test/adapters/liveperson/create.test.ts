// POST status-reasons through the real handler on a real DynamoDB engine.
import { describe, expect, it } from 'vitest';
import { livePersonOnTestTable, livePersonRequests } from '../../support/liveperson.js';
import { newAccount } from '../../support/dynamo.js';

const { handler } = livePersonOnTestTable();
const { post, list } = livePersonRequests(handler);

describe('create one', () => {
  it('creates a reason with defaults and answers it with ac-revision 1', async () => {
    const account = newAccount();
    const res = await post(account, { text: '  Lunch  ', state: 'Away' });
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('1');
    expect(res.body).toEqual({ id: 1, text: 'Lunch', state: 'Away', enabled: true, deleted: false, order: expect.any(Number) });
  });

  it('ignores a sent id and keeps a sent order, description and tags', async () => {
    const account = newAccount();
    const res = await post(account, { id: 999, text: 'Training', state: 'Occupied', enabled: false, order: 7, description: 'weekly', tags: { team: 'a' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 1, text: 'Training', state: 'Occupied', enabled: false, deleted: false, order: 7, description: 'weekly', tags: { team: 'a' } });
  });
});

describe('create many', () => {
  it('answers an array in request order, with unique ids, one revision', async () => {
    const account = newAccount();
    const res = await post(account, [
      { text: 'A', state: 'Away' },
      { text: 'B', state: 'Online' },
      { text: 'C', state: 'Occupied' },
    ]);
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('1');
    expect(res.body.map((r: { text: string }) => r.text)).toEqual(['A', 'B', 'C']);
    expect(new Set(res.body.map((r: { id: number }) => r.id)).size).toBe(3);
  });

  it('puts items without order before every existing item, keeping request order', async () => {
    const account = newAccount();
    await post(account, [
      { text: 'old-1', state: 'Away', order: -5 },
      { text: 'old-2', state: 'Away', order: 10 },
    ]);
    const res = await post(account, [
      { text: 'new-1', state: 'Away' },
      { text: 'new-2', state: 'Away', order: 100 },
      { text: 'new-3', state: 'Away' },
    ]);
    expect(res.body[1].order).toBe(100);
    expect(res.body[0].order).toBeLessThan(-5);
    expect(res.body[2].order).toBeLessThan(-5);
    expect(res.body[0].order).toBeLessThan(res.body[2].order);
    const listed = await list(account);
    expect(listed.body.map((r: { text: string }) => r.text)).toEqual(['new-1', 'new-3', 'old-1', 'old-2', 'new-2']);
  });
});
