// The `v` query parameter (API version, a number): checked in one linear pass.
// No timing here: the parser's loop visits each character once by design, and a
// property test holds it to the regex it replaced on every short input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLivePersonHandler, isDecimalNumber } from '../../../functions/adapters/liveperson/liveperson.js';
import type { StatusReasonStore } from '../../../functions/domain/store.js';
import { BASE, call } from '../../support/events.js';

/** The former check: the same language, but quadratic backtracking on long runs of digits. */
const REFERENCE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)\s*$/;

describe('isDecimalNumber', () => {
  it.each(['1', '1.0', ' 2.5 ', '+3', '-.5', '7.', '0010', '\t1\n'])('accepts %j', (v) => expect(isDecimalNumber(v)).toBe(true));
  it.each(['', ' ', '.', '+', '-', '+-1', '1.2.3', '1e3', '0x10', 'abc', '1 2', '١', '1,0'])('refuses %j', (v) => expect(isDecimalNumber(v)).toBe(false));

  it('agrees with the former regex on any string over the characters that matter', () => {
    const chars = fc.constantFrom('0', '1', '9', '.', '+', '-', ' ', '\t', '\n', '\u00a0', '\ufeff', '\u2028', 'e', 'x', '٣');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
        const v = parts.join('');
        expect(isDecimalNumber(v)).toBe(REFERENCE.test(v));
      }),
      { numRuns: 5000 },
    );
  });

  it('decides 16,000-digit values (the size that cost the regex 357 ms)', () => {
    const digits = '1'.repeat(16_000);
    expect(isDecimalNumber(digits)).toBe(true);
    expect(isDecimalNumber(`${digits}x`)).toBe(false);
    expect(isDecimalNumber(`${digits}.${digits}`)).toBe(true);
    expect(isDecimalNumber(`${digits}.${digits}.`)).toBe(false);
  });
});

describe('the v query parameter on a route', () => {
  const unreachable = new Proxy({} as StatusReasonStore, {
    get: () => () => {
      throw new Error('the store must not be reached');
    },
  });
  const handler = createLivePersonHandler({ store: () => unreachable });

  it('a 16,001-character v that is not a number is a 400 naming v', async () => {
    const res = await call(handler, { method: 'GET', path: BASE('7'), query: { v: `${'9'.repeat(16_000)}x` } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'v', message: 'must be a number' }]);
  });
});
