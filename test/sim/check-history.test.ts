// The simulation checker's history checks catch what they are for: a missing
// entry, an entry that is not the write's, an event for a write that has no
// entry, events out of order; and accept a history that holds.
import { describe, expect, it } from 'vitest';
import type { ChangeEntry } from '../../functions/domain/changes.js';
import type { PublishedEvent } from '../../infra/local/change-stream.js';
import { check, type Operation } from './check.js';

const answer = (revision: number, body: unknown) => ({ status: 200, revision, body, started: 0, ended: 0, clientLost: false });
const create = (index: number, revision: number, id: number, text: string): Operation => ({ index, worker: 0, api: 'liveperson', kind: 'create', account: 'a', texts: [text], attempts: [answer(revision, [{ id, text, deleted: false }])] });
const list: Operation = { index: 9, worker: 0, kind: 'list', account: 'a', includeDeleted: true, attempts: [answer(0, [])] };
const entry = (revision: number, id: number, text: string): ChangeEntry => ({
  revision,
  at: '2026-12-02T00:00:00.000Z',
  via: 'liveperson',
  actor: {},
  changes: [{ id, op: 'created', reason: { id, text, state: 'Away', enabled: true, deleted: false, order: id } }],
});
const event = (e: ChangeEntry): PublishedEvent => ({ accountId: 'a', revision: e.revision, detail: { ...e, accountId: 'a' } as unknown as Record<string, unknown>, bytes: 0, publishedAt: 0 });
const ops = [create(1, 1, 1, 'x'), create(2, 2, 2, 'y'), list];
const finals = new Map([['a', { revision: 2, items: [{ id: 1, text: 'x', deleted: false, order: 1 }, { id: 2, text: 'y', deleted: false, order: 2 }] }]]);
const run = (entries: ChangeEntry[], events: PublishedEvent[]) => check(ops, finals, new Map([['a', { entries, events }]]));
const [one, two] = [entry(1, 1, 'x'), entry(2, 2, 'y')];

describe('the checker of the change history', () => {
  it('accepts a history that holds, with events repeated (at least once)', () => {
    expect(run([one, two], [event(one), event(one), event(two), event(two)])).toEqual([]);
  });

  it('finds a missing entry, and the list it leaves short', () => {
    const found = run([one], [event(one)]);
    expect(found.some((a) => a.includes('missing 2'))).toBe(true);
    expect(found.some((a) => a.includes('answered revision 2, which has no history entry'))).toBe(true);
    expect(found.some((a) => a.includes('is not the final list'))).toBe(true);
  });

  it("finds an entry that is not its write's", () => {
    expect(run([one, entry(2, 2, 'z')], [event(one), event(two)]).some((a) => a.includes('but its entry has'))).toBe(true);
  });

  it('finds events out of order, missing, or for no entry', () => {
    expect(run([one, two], [event(two), event(one)]).some((a) => a.includes('not once each in order'))).toBe(true);
    expect(run([one, two], [event(one)]).some((a) => a.includes('not once each in order'))).toBe(true);
    expect(run([one, two], [event(one), event(two), event(entry(3, 3, 'w'))]).some((a) => a.includes('revision 3, which has no history entry'))).toBe(true);
  });
});
