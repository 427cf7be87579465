// A per-container cache of looked-up values with a time to live: what the
// authorizer (client -> account), the Connect grant check and the NextToken
// key keep between invocations, so that a change made in the table or in
// Secrets Manager takes effect within `ttlMs` without a deploy. Misses
// (undefined) are cached too: a flood of requests from an unregistered caller
// costs one lookup per key per TTL. Concurrent lookups of one key share one call.

export interface TtlCacheOptions {
  ttlMs: number;
  /** Entries kept at most; the oldest go first (a Map keeps insertion order). */
  maxEntries?: number;
  now?: () => number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, { expires: number; value: Promise<V> }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor({ ttlMs, maxEntries = 10_000, now = Date.now }: TtlCacheOptions) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.now = now;
  }

  /** The cached value of `key`, or `load(key)`'s, kept for the TTL (a failed load is not kept). */
  get(key: string, load: (key: string) => Promise<V>): Promise<V> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    if (hit) this.entries.delete(key);
    const value = load(key);
    this.entries.set(key, { expires: now + this.ttlMs, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
