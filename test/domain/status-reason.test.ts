// Field rules and the uniqueness key, without any store.
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../functions/domain/errors.js';
import { parseCreateBody, parseOrThrow, replacementSchema, textKey } from '../../functions/domain/status-reason.js';

const fails = (body: unknown): DomainError => {
  try {
    parseCreateBody(body);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the body to be refused');
};

describe('textKey', () => {
  it('compares texts trimmed, NFKC-normalised and lower-cased', () => {
    expect(textKey('  Lunch ')).toBe(textKey('lunch'));
    expect(textKey('ＬＵＮＣＨ')).toBe(textKey('lunch'));
    expect(textKey('ﬁx')).toBe(textKey('fix'));
    expect(textKey('Lunch 1')).not.toBe(textKey('Lunch 2'));
  });
});

describe('parseCreateBody', () => {
  it('applies defaults and trims the text', () => {
    expect(parseCreateBody({ text: ' Lunch ', state: 'Away' })).toEqual({
      single: true,
      items: [{ text: 'Lunch', state: 'Away', enabled: true, deleted: false }],
    });
  });

  it('ignores a sent id', () => {
    expect(parseCreateBody([{ id: 'anything', text: 'A', state: 'Online' }]).items[0]).not.toHaveProperty('id');
  });

  it('counts text length in characters, not UTF-16 units', () => {
    expect(() => parseCreateBody({ text: '😀'.repeat(127), state: 'Away' })).not.toThrow();
    expect(fails({ text: '😀'.repeat(128), state: 'Away' }).errors).toEqual([{ path: 'text', message: 'must be at most 127 characters (got 128)' }]);
  });

  it.each([
    [{ state: 'Away' }, 'text', 'is required'],
    [{ text: '   ', state: 'Away' }, 'text', 'must not be empty or only white space'],
    [{ text: 'a\u0007b', state: 'Away' }, 'text', 'must not contain control characters (U+0000–U+001F, U+007F)'],
    [{ text: 'a\u007fb', state: 'Away' }, 'text', 'must not contain control characters (U+0000–U+001F, U+007F)'],
    [{ text: 5, state: 'Away' }, 'text', 'must be a string'],
    [{ text: 'A' }, 'state', 'is required'],
    [{ text: 'A', state: 'away' }, 'state', 'must be one of "Online", "Occupied", "Away"'],
    // What LivePerson's agent workspace shows for Occupied; not an API value.
    [{ text: 'A', state: 'Back soon' }, 'state', 'must be one of "Online", "Occupied", "Away"'],
    [{ text: 'A', state: 'Away', enabled: 'yes' }, 'enabled', 'must be true or false'],
    [{ text: 'A', state: 'Away', order: 1.5 }, 'order', 'must be an integer'],
    [{ text: 'A', state: 'Away', order: 2 ** 31 }, 'order', 'must be at most 2147483647'],
    [{ text: 'A', state: 'Away', order: -(2 ** 31) - 1 }, 'order', 'must be at least -2147483648'],
    [{ text: 'A', state: 'Away', description: 'x'.repeat(251) }, 'description', 'must be at most 250 characters'],
    [{ text: 'A', state: 'Away', tags: { k: 1 } }, 'tags.k', 'must be a string'],
    [{ text: 'A', state: 'Away', tags: { k: 'v'.repeat(257) } }, 'tags.k', 'must be at most 256 characters'],
    [{ text: 'A', state: 'Away', colour: 'red' }, 'colour', 'is not a known field'],
  ])('refuses %j at %s', (body, path, message) => {
    const error = fails(body);
    expect(error.kind).toBe('invalid');
    expect(error.errors).toContainEqual({ path, message });
    expect(error.message).toContain(path);
  });

  it('refuses more than 50 tags, and empty or over-long tag keys, saying which', () => {
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(fails({ text: 'A', state: 'Away', tags }).errors).toEqual([{ path: 'tags', message: 'must have at most 50 pairs (got 51)' }]);
    expect(fails({ text: 'A', state: 'Away', tags: { ok: 'v', ['k'.repeat(129)]: 'v' } }).errors).toEqual([
      { path: 'tags', message: 'keys must be 1–128 characters (key #2 has 129)' },
    ]);
    expect(fails({ text: 'A', state: 'Away', tags: { '': 'v' } }).errors).toEqual([{ path: 'tags', message: 'keys must be 1–128 characters (key #1 has 0)' }]);
    expect(() => parseCreateBody({ text: 'A', state: 'Away', tags: { ['k'.repeat(128)]: 'v'.repeat(256) } })).not.toThrow();
  });

  it('counts tag key length in characters, not UTF-16 units', () => {
    expect(() => parseCreateBody({ text: 'A', state: 'Away', tags: { ['😀'.repeat(128)]: 'v' } })).not.toThrow();
    expect(fails({ text: 'A', state: 'Away', tags: { ['😀'.repeat(129)]: 'v' } }).errors).toEqual([{ path: 'tags', message: 'keys must be 1–128 characters (key #1 has 129)' }]);
  });

  it('names the element of an array that is wrong, every one of them', () => {
    const error = fails([{ text: 'ok', state: 'Away' }, { text: '', state: 'Away' }, { text: 'x', state: 'Gone', extra: 1 }]);
    expect(error.errors.map((e) => e.path).sort()).toEqual(['[1].text', '[2].extra', '[2].state']);
  });

  it.each([
    [[], 'must hold 1–100 status reasons (got 0)'],
    [Array.from({ length: 101 }, (_, i) => ({ text: `t${i}`, state: 'Away' })), 'must hold 1–100 status reasons (got 101)'],
  ])('refuses an array of the wrong size', (body, message) => {
    expect(fails(body).errors).toEqual([{ path: '', message }]);
  });

  it.each([null, 'text', 42, true])('refuses a body that is %j', (body) => {
    expect(fails(body).errors[0]).toEqual({ path: '', message: 'must be an object' });
  });
});

describe('replacementSchema', () => {
  it('requires text and state, and leaves the rest absent when not sent', () => {
    expect(parseOrThrow(replacementSchema, { text: 'x', state: 'Online' })).toEqual({ text: 'x', state: 'Online' });
    expect(() => parseOrThrow(replacementSchema, { state: 'Online' })).toThrow(DomainError);
  });
});
