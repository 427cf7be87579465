// The body's decoding: bytes that are not UTF-8 are a 400 naming the first bad
// byte, never text with U+FFFD in their place.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/platform/http/http-error.js';
import { illFormedUtf8At, utf8Text } from '../../../functions/platform/http/middlewares/json-body.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('utf8Text', () => {
  it.each([
    ['a byte no sequence starts with', bytes(0x61, 0xff), 1],
    ['a continuation byte with no lead', bytes(0x80), 0],
    ['a lead cut short by an ASCII byte', bytes(0x61, 0x62, 0xe9, 0x22), 2],
    ['a sequence cut short at the end', bytes(0x61, 0xf0, 0x9f, 0x98), 1],
    ['an overlong encoding', bytes(0xc0, 0x80), 0],
    ['an encoded surrogate', bytes(0x61, 0xed, 0xa0, 0x80), 1],
    ['a code point past U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
  ])('refuses %s with a 400 naming the byte', (_, input, at) => {
    let error: unknown;
    try {
      utf8Text(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).statusCode).toBe(400);
    expect((error as HttpError).message).toBe(`The request body is not valid UTF-8: the sequence at byte ${at} (0x${input[at]!.toString(16)}) is ill-formed.`);
    expect((error as HttpError).errors).toEqual([{ path: '', message: `is not valid UTF-8 (ill-formed at byte ${at})` }]);
  });

  it('decodes well-formed UTF-8 (U+FFFD itself included) as it is', () => {
    const text = 'Café 😀 \u{10FFFF} \uFFFD';
    expect(utf8Text(Buffer.from(text, 'utf8'))).toBe(text);
  });

  it('property: the byte it names is where the Unicode Standard says the bytes stop being UTF-8', () => {
    // Bytes cut from well-formed text at random places, or random bytes: the decoder and illFormedUtf8At agree.
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.nat(), fc.uint8Array({ maxLength: 3 })).map(([text, cut, tail]) => {
        const encoded = Buffer.from(text, 'utf8');
        return Uint8Array.from([...encoded.subarray(0, cut % (encoded.length + 1)), ...tail]);
      }),
    );
    fc.assert(
      fc.property(input, (input) => {
        const at = illFormedUtf8At(input);
        let decoded = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(input);
        } catch {
          decoded = false;
        }
        expect(at === -1).toBe(decoded);
        // Everything before the named byte is well-formed.
        if (at > 0) expect(() => new TextDecoder('utf-8', { fatal: true }).decode(input.subarray(0, at))).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
