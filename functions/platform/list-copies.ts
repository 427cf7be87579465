// The last list a container answered, per account, so that a list of an
// account that has not changed costs one small read instead of a Query of
// every reason. Agent desktops read far more than admins write (every desktop
// loads the list at sign-in), so this is where the service's read load goes.
//
// A copy is kept with the revision of the checked read that built it (the
// store's `read` answers the state of one revision, never a mix of two). A list
// then reads only the account's revision (`StatusReasonStore.revision`: one
// GetItem of `#META`, at most 1 RCU): equal to the copy's, the copy is the
// account's state at that revision and is answered (an account's revision rises
// by exactly 1 with every write and never goes back, so one revision number
// always means one state); equal to the caller's `If-None-Match`, the answer is
// 304; otherwise the reasons are read and the copy replaced.
//
// Bounded by bytes, least recently used first out: `LIST_COPIES_MAX_BYTES`
// (16 MiB) per adapter of a container. A string counts 2 bytes per UTF-16
// unit; an array of items counts its JSON text that way, which is an estimate
// of the objects' size (about what V8 takes for them), not an exact measure.

/** The most bytes of copies one adapter keeps in one container (docs/performance.md). */
export const LIST_COPIES_MAX_BYTES = 16 * 1024 * 1024;

export interface ListCopy<T> {
  revision: number;
  value: T;
  bytes: number;
}

/** Per key (an account and the list's shape), the last list answered: least recently used first out, within `maxBytes`. */
export class ListCopies<T> {
  // A Map iterates in insertion order: a copy used is moved to the end, so the first is the least recently used.
  private readonly copies = new Map<string, ListCopy<T>>();
  private held = 0;
  /** Lists answered from a copy so far (the simulation counts them). */
  answered = 0;

  constructor(readonly maxBytes: number = LIST_COPIES_MAX_BYTES) {}

  /** The copy under `key`, if any (now the most recently used). */
  get(key: string): ListCopy<T> | undefined {
    const copy = this.copies.get(key);
    if (!copy) return undefined;
    this.copies.delete(key);
    this.copies.set(key, copy);
    return copy;
  }

  /** Keeps `value` as the list at `revision`, unless a copy at a later revision is already kept. One larger than the whole budget is not kept. */
  keep(key: string, revision: number, value: T, bytes: number): void {
    const old = this.copies.get(key);
    if (old && old.revision > revision) return;
    if (old) this.drop(key, old);
    if (bytes > this.maxBytes) return;
    this.copies.set(key, { revision, value, bytes });
    this.held += bytes;
    for (const [oldest, copy] of this.copies) {
      if (this.held <= this.maxBytes) break;
      this.drop(oldest, copy);
    }
  }

  /** Bytes held now (as counted, see above). */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.copies.size;
  }

  private drop(key: string, copy: ListCopy<T>): void {
    this.copies.delete(key);
    this.held -= copy.bytes;
  }
}

/** What a list answers: 304 (the caller's revision is current), or the list at `revision`. */
export type ListAnswer<T> = { revision: number; notModified: true } | { revision: number; notModified: false; value: T; fromCopy: boolean };

/**
 * A list through the copies. With neither a copy nor an `If-None-Match` to
 * check, the reasons are read straight away (the revision read would buy
 * nothing); a read that finds the caller's revision still answers 304.
 */
export async function listThroughCopy<T>(
  copies: ListCopies<T>,
  key: string,
  ifNoneMatch: number | undefined,
  io: {
    /** The account's current revision (one small read). */
    revision: () => Promise<number>;
    /** The list, by a checked read: its revision, the answer, and the answer's size in bytes. */
    read: () => Promise<{ revision: number; value: T; bytes: number }>;
  },
): Promise<ListAnswer<T>> {
  const copy = copies.get(key);
  if (copy || ifNoneMatch !== undefined) {
    const revision = await io.revision();
    if (ifNoneMatch === revision) return { revision, notModified: true };
    if (copy && copy.revision === revision) {
      copies.answered++;
      return { revision, notModified: false, value: copy.value, fromCopy: true };
    }
  }
  const read = await io.read();
  copies.keep(key, read.revision, read.value, read.bytes);
  if (ifNoneMatch === read.revision) return { revision: read.revision, notModified: true };
  return { revision: read.revision, notModified: false, value: read.value, fromCopy: false };
}

/** The size a copy of `value` counts: its JSON text at 2 bytes per UTF-16 unit. */
export const jsonBytes = (value: unknown): number => 2 * (JSON.stringify(value)?.length ?? 0);
