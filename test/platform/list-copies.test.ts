// The container's copies of the last lists answered: bounded by bytes, least
// recently used out first, never replaced by an older revision; and the list
// flow through them (one revision read when a copy or an If-None-Match can use it).
import { describe, expect, it } from 'vitest';
import { ListCopies, listThroughCopy } from '../../functions/platform/list-copies.js';

describe('ListCopies', () => {
  it('keeps copies within its bytes, dropping the least recently used first', () => {
    const copies = new ListCopies<string>(100);
    copies.keep('a', 1, 'A', 40);
    copies.keep('b', 1, 'B', 40);
    expect(copies.get('a')?.value).toBe('A'); // a is now the most recently used
    copies.keep('c', 1, 'C', 40);
    expect(copies.get('b')).toBeUndefined();
    expect(copies.get('a')?.value).toBe('A');
    expect(copies.get('c')?.value).toBe('C');
    expect(copies.bytes).toBe(80);
  });

  it('replaces a copy by a later revision, never by an older one, and counts the bytes once', () => {
    const copies = new ListCopies<string>(100);
    copies.keep('a', 2, 'two', 30);
    copies.keep('a', 1, 'one', 10);
    expect(copies.get('a')).toEqual({ revision: 2, value: 'two', bytes: 30 });
    copies.keep('a', 3, 'three', 50);
    expect(copies.get('a')).toEqual({ revision: 3, value: 'three', bytes: 50 });
    expect(copies.bytes).toBe(50);
    expect(copies.size).toBe(1);
  });

  it('keeps nothing larger than its whole budget (and drops the older copy of that key)', () => {
    const copies = new ListCopies<string>(100);
    copies.keep('a', 1, 'small', 10);
    copies.keep('a', 2, 'huge', 101);
    expect(copies.get('a')).toBeUndefined();
    expect(copies.bytes).toBe(0);
  });
});

describe('listThroughCopy', () => {
  const io = (current: number, items: string) => {
    const calls: string[] = [];
    return {
      calls,
      io: {
        revision: async () => (calls.push('revision'), current),
        read: async () => (calls.push('read'), { revision: current, value: items, bytes: 2 * items.length }),
      },
    };
  };

  it('without a copy or If-None-Match: reads the items at once, and keeps them', async () => {
    const copies = new ListCopies<string>();
    const first = io(4, '[1]');
    expect(await listThroughCopy(copies, 'k', undefined, first.io)).toEqual({ revision: 4, notModified: false, value: '[1]', fromCopy: false });
    expect(first.calls).toEqual(['read']);
    expect(copies.get('k')?.revision).toBe(4);
  });

  it('with a current copy: one revision read, the copy answered', async () => {
    const copies = new ListCopies<string>();
    copies.keep('k', 4, '[1]', 6);
    const again = io(4, 'never read');
    expect(await listThroughCopy(copies, 'k', undefined, again.io)).toEqual({ revision: 4, notModified: false, value: '[1]', fromCopy: true });
    expect(again.calls).toEqual(['revision']);
  });

  it('with a copy of an older revision: reads the items and replaces the copy', async () => {
    const copies = new ListCopies<string>();
    copies.keep('k', 4, '[1]', 6);
    const moved = io(5, '[1,2]');
    expect(await listThroughCopy(copies, 'k', undefined, moved.io)).toEqual({ revision: 5, notModified: false, value: '[1,2]', fromCopy: false });
    expect(moved.calls).toEqual(['revision', 'read']);
    expect(copies.get('k')).toMatchObject({ revision: 5, value: '[1,2]' });
  });

  it('If-None-Match current: 304 after one revision read, with or without a copy', async () => {
    const copies = new ListCopies<string>();
    const current = io(7, 'never read');
    expect(await listThroughCopy(copies, 'k', 7, current.io)).toEqual({ revision: 7, notModified: true });
    expect(current.calls).toEqual(['revision']);
  });

  it('If-None-Match stale and no copy: the revision, then the items', async () => {
    const copies = new ListCopies<string>();
    const stale = io(7, '[3]');
    expect(await listThroughCopy(copies, 'k', 6, stale.io)).toEqual({ revision: 7, notModified: false, value: '[3]', fromCopy: false });
    expect(stale.calls).toEqual(['revision', 'read']);
  });
});
