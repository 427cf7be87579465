// The status reason, its field rules (zod), and the text key that uniqueness is judged by.
// zod's smaller build, `zod/mini` (functions instead of methods): the classic
// build cost the Lambda's cold start about 20 ms of import (test/bench/cold.ts).
import * as z from 'zod/mini';
import './zod-messages.js';
import { describeValue, DomainError, type FieldError } from './errors.js';

/** LivePerson's values (its agent workspace shows `Occupied` as "Back soon"; that is not an API value). */
export const STATES = ['Online', 'Occupied', 'Away'] as const;
export type ReasonState = (typeof STATES)[number];

/** An account id: LivePerson's path `accountId`, Connect's `InstanceId`, a direct invoke's `accountId`. */
export const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const ACCOUNT_ID_RULE = 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit';

export interface StatusReason {
  id: number;
  text: string;
  state: ReasonState;
  enabled: boolean;
  deleted: boolean;
  order: number;
  description?: string;
  tags?: Record<string, string>;
}

/** A reason as the store keeps it: also when and in which region it was last written (Connect's LastModifiedTime/Region). */
export interface StoredReason extends StatusReason {
  /** Epoch ms; absent on reasons written before the service kept it. */
  modifiedAt?: number;
  modifiedRegion?: string;
}

/** The reason as the LivePerson API and direct invokes show it: its own fields only, in a fixed order. */
export function publicReason(reason: StatusReason): StatusReason {
  const out: StatusReason = {
    id: reason.id,
    text: reason.text,
    state: reason.state,
    enabled: reason.enabled,
    deleted: reason.deleted,
    order: reason.order,
  };
  if (reason.description !== undefined) out.description = reason.description;
  // In key order: a request and its idempotent repeat (which may list the same tags in another order) answer the same bytes.
  if (reason.tags !== undefined) out.tags = sortedTags(reason.tags);
  return out;
}

const byKey = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);
/** Tags in key order (code-unit order). Object keys that look like array indexes still come first, in numeric order: JavaScript orders them so. */
const sortedTags = (tags: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(tags).sort(byKey));

/**
 * The bytes a reason adds to a list answer inside a Lambda result: the answer's
 * body is JSON, and the Lambda result carries that body as a JSON string, so its
 * quotes, backslashes and escapes count twice. The account's budgets
 * (`LIMITS.liveBytesMax`, `LIMITS.historyBytesMax`) are sums of this.
 */
export function wireSize(reason: StatusReason): number {
  // Outer quotes off, one separator (",") on.
  return Buffer.byteLength(JSON.stringify(JSON.stringify(publicReason(reason))), 'utf8') - 1;
}

export const LIMITS = {
  textMax: 127,
  descriptionMax: 250,
  tagsMax: 50,
  tagKeyMax: 128,
  tagValueMax: 256,
  itemsPerRequest: 100,
  activeReasonsPerAccount: 1000,
  /**
   * The wire size of an account's non-deleted reasons, all together. With the
   * history's budget it keeps every list answer under Lambda's 6 MiB result
   * limit (6,291,456 bytes), headers and all.
   */
  liveBytesMax: 3_000_000,
  /** The wire size of the deleted reasons an account keeps; beyond it the longest-deleted ones are dropped. */
  historyBytesMax: 3_000_000,
  orderMin: -(2 ** 31),
  orderMax: 2 ** 31 - 1,
} as const;

// U+0000–U+001F and U+007F.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** A tag key's length in characters (code points, as every text is counted) when it is outside 1–tagKeyMax; undefined when it fits. */
export const tagKeyLengthOutOfBounds = (key: string): number | undefined => {
  const length = codePoints(key);
  return length < 1 || length > LIMITS.tagKeyMax ? length : undefined;
};

/**
 * A UTF-16 surrogate without its partner. JSON can carry one (`"\ud800"`), but
 * DynamoDB documents its strings as UTF-8, which has no encoding for it
 * (DynamoDB Local happens to keep it; what DynamoDB does is not documented),
 * and no client can show it. So every stored string must be well-formed.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const WELL_FORMED_RULE = 'must be well-formed Unicode (no lone surrogate code units)';
export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

/** The key two texts are compared by: trimmed, NFKC-normalised, lower-cased. */
export const textKey = (text: string): string => text.trim().normalize('NFKC').toLowerCase();

/** A display text: trimmed, then 1–127 characters with no control characters. */
export const textSchema = z
  .pipe(
    z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }),
    z.transform((s: string) => s.trim()),
  )
  .check((ctx) => {
    const length = codePoints(ctx.value);
    if (length === 0) ctx.issues.push({ code: 'custom', input: ctx.value, message: 'must not be empty or only white space' });
    else if (length > LIMITS.textMax)
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `must be at most ${LIMITS.textMax} characters (got ${length})` });
    if (CONTROL_CHARACTER.test(ctx.value))
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'must not contain control characters (U+0000–U+001F, U+007F)' });
    if (!isWellFormed(ctx.value)) ctx.issues.push({ code: 'custom', input: ctx.value, message: WELL_FORMED_RULE });
  });

const typed = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`),
});

export const stateSchema = z.enum(STATES, { error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${STATES.map((s) => `"${s}"`).join(', ')}`) });
export const orderSchema = z
  .number(typed('an integer'))
  .check(
    z.int({ error: 'must be an integer' }),
    z.minimum(LIMITS.orderMin, { error: `must be at least ${LIMITS.orderMin}` }),
    z.maximum(LIMITS.orderMax, { error: `must be at most ${LIMITS.orderMax}` }),
  );
const wellFormed = (s: string) => isWellFormed(s);
export const descriptionSchema = z
  .string(typed('a string'))
  .check(z.maxLength(LIMITS.descriptionMax, { error: `must be at most ${LIMITS.descriptionMax} characters` }), z.refine(wellFormed, { error: WELL_FORMED_RULE }));
/**
 * Map keys that are object machinery, not data: JSON.parse keeps `__proto__`
 * as an own key, but assigning it to a plain object (as zod's record and the
 * DynamoDB SDK's marshaller and unmarshaller do) sets the prototype instead,
 * so the key would vanish; and the SDK refuses to marshal any object with an
 * own `constructor`. Such a key is refused with a 400 naming it. (`prototype`
 * and every other name, `toString` included, is ordinary data.)
 */
export const RESERVED_MAP_KEYS: readonly string[] = ['__proto__', 'constructor'];
export const RESERVED_MAP_KEY_RULE = `must not be "__proto__" or "constructor" (names JavaScript objects reserve)`;

/** Refuses an object with a reserved own key, naming it, before a record schema would drop or keep it. */
const withoutReservedKeys = z.unknown().check((ctx) => {
  const value = ctx.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const key of RESERVED_MAP_KEYS) {
    if (Object.hasOwn(value, key)) ctx.issues.push({ code: 'custom', input: value, path: [key], message: `is not allowed: a key ${RESERVED_MAP_KEY_RULE}` });
  }
});

export const tagsSchema = z
  .pipe(
    withoutReservedKeys,
    z.record(
      z.string(),
      z
        .string(typed('a string'))
        .check(z.maxLength(LIMITS.tagValueMax, { error: `must be at most ${LIMITS.tagValueMax} characters` }), z.refine(wellFormed, { error: WELL_FORMED_RULE })),
      typed('an object of string pairs'),
    ),
  )
  .check((ctx) => {
    const keys = Object.keys(ctx.value);
    if (keys.length > LIMITS.tagsMax)
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `must have at most ${LIMITS.tagsMax} pairs (got ${keys.length})` });
    for (const key of keys) {
      const outOfBounds = tagKeyLengthOutOfBounds(key);
      if (outOfBounds !== undefined) {
        // Named by position, not by the key itself: the key may be empty or very long.
        ctx.issues.push({ code: 'custom', input: key, message: `keys must be 1–${LIMITS.tagKeyMax} characters (key #${keys.indexOf(key) + 1} has ${outOfBounds})` });
      } else if (!isWellFormed(key)) {
        ctx.issues.push({ code: 'custom', input: key, message: `keys ${WELL_FORMED_RULE} (key #${keys.indexOf(key) + 1})` });
      }
    }
  });

/** What a caller sends to create a reason (LivePerson's object; Connect maps onto it). */
export const newReasonSchema = z.strictObject(
  {
    /** Ignored on create: the server assigns ids. */
    id: z.optional(z.unknown()),
    text: textSchema,
    state: stateSchema,
    enabled: z._default(z.boolean(typed('true or false')), true),
    deleted: z._default(z.boolean(typed('true or false')), false),
    order: z.optional(orderSchema),
    description: z.optional(descriptionSchema),
    tags: z.optional(tagsSchema),
  },
  typed('an object'),
);
export type NewReason = Omit<z.output<typeof newReasonSchema>, 'id'>;

/** A replacement for a stored reason (PUT): text and state required, the rest kept when absent. */
export const replacementSchema = z.strictObject(
  {
    id: z.optional(z.unknown()),
    text: textSchema,
    state: stateSchema,
    enabled: z.optional(z.boolean(typed('true or false'))),
    deleted: z.optional(z.boolean(typed('true or false'))),
    order: z.optional(orderSchema),
    description: z.optional(descriptionSchema),
    tags: z.optional(tagsSchema),
  },
  typed('an object'),
);
export type Replacement = z.output<typeof replacementSchema>;

/** A status reason id as a request names one: a positive integer below 2^53. */
export const reasonIdSchema = z
  .number(typed('a positive integer'))
  .check(z.int({ error: 'must be a positive integer below 2^53' }), z.minimum(1, { error: 'must be a positive integer below 2^53' }));

/** A reorder's `ids`: every non-deleted reason of the account, once each, in the wanted order (at most the cap). */
export const reorderIdsSchema = z
  .array(reasonIdSchema, typed('an array of status reason ids'))
  .check(z.maxLength(LIMITS.activeReasonsPerAccount, { error: `must hold at most ${LIMITS.activeReasonsPerAccount} ids (an account's cap of status reasons that are not deleted)` }));

/** The body of `POST …/status-reasons/reorder`. */
export const reorderBodySchema = z.strictObject({ ids: reorderIdsSchema }, typed('an object with "ids"'));

/**
 * A PUT body for the reason `id`: the replacement, whose `id`, if sent, must be
 * that id. Checked whole before anything is derived from it (an idempotency
 * key's fingerprint included), so a malformed `id` is a 400, whatever its shape.
 */
export function parseReplacement(body: unknown, id: number): Replacement {
  const replacement = parseOrThrow(replacementSchema, body);
  checkReplacementId(replacement, id);
  return replacement;
}

/** A replacement's `id`, when sent, must be the id of the reason it replaces (the path's, or a direct invoke's `id`). */
export function checkReplacementId(replacement: Pick<Replacement, 'id'>, id: number): void {
  if (replacement.id !== undefined && replacement.id !== id) {
    throw new DomainError('invalid', `Invalid request: id ${describeValue(replacement.id)} is not the id of the reason it replaces, ${id}.`, [
      { path: 'id', message: `must equal the id of the reason it replaces, ${id}` },
    ]);
  }
}

/** A create body: one object, or an array of 1–100 of them. */
export function parseCreateBody(body: unknown): { items: NewReason[]; single: boolean } {
  if (!Array.isArray(body)) {
    const { id: _ignored, ...item } = parseOrThrow(newReasonSchema, body);
    return { items: [item], single: true };
  }
  if (body.length < 1 || body.length > LIMITS.itemsPerRequest) {
    const errors = [{ path: '', message: `must hold 1–${LIMITS.itemsPerRequest} status reasons (got ${body.length})` }];
    throw new DomainError('invalid', `The array must hold 1–${LIMITS.itemsPerRequest} status reasons (got ${body.length}).`, errors);
  }
  const errors: FieldError[] = [];
  const items: NewReason[] = [];
  body.forEach((element, index) => {
    const result = newReasonSchema.safeParse(element);
    if (result.success) {
      const { id: _ignored, ...item } = result.data;
      items.push(item);
    } else errors.push(...fieldErrors(result.error, [index]));
  });
  if (errors.length) throw new DomainError('invalid', summarise(errors), errors);
  return { items, single: false };
}

/** `[1].text`, `tags.color`, `text`: the path of a zod issue the way the API's errors name it. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Flattens zod issues to field errors; an unknown key is named by its own path. */
export function fieldErrors(error: z.core.$ZodError, prefix: ReadonlyArray<PropertyKey> = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...base, key]), message: 'is not a known field' });
    } else {
      out.push({ path: formatPath(base), message: issue.message });
    }
  }
  return out;
}

/** Parses with a schema or throws the domain's `invalid` error naming every problem. */
export function parseOrThrow<S extends z.ZodMiniType>(schema: S, input: unknown, prefix: ReadonlyArray<PropertyKey> = []): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, prefix);
  throw new DomainError('invalid', summarise(errors), errors);
}

export function summarise(errors: FieldError[]): string {
  const first = errors[0];
  if (!first) return 'The request is not valid.';
  const head = first.path ? `${first.path} ${first.message}` : first.message;
  return errors.length === 1 ? `Invalid request: ${head}.` : `Invalid request: ${head} (and ${errors.length - 1} more).`;
}
