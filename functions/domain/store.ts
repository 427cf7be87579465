// The port the domain reads and writes through. Only `functions/store/` implements it.
import type { ChangeEntry, ChangeOrigin, ChangeRecord } from './changes.js';
import type { NewReason, StatusReason, StoredReason } from './status-reason.js';

/** What one request gives the store to work in: the time by which it must have answered. */
export interface RequestScope {
  /** Epoch ms. The store issues no DynamoDB call that could end after it, and answers by then. */
  deadline: number;
}

/** The store for one request (adapters build one per request, from the Lambda's remaining time). */
export type StoreFactory = (scope?: RequestScope) => StatusReasonStore;

/**
 * What a write decides on: the account as it is under the write's lease, which no
 * other writer can change until the write ends. It holds what the rules need and
 * no more, so that its cost does not grow with the account's history.
 */
export interface AccountState {
  revision: number;
  /** How many reasons are not deleted. */
  liveCount: number;
  /** The wire size (`wireSize`) of all non-deleted reasons together. */
  liveBytes: number;
  /** At most the lowest order any reason of the account has (deleted ones included); undefined when it has none. */
  lowestOrder: number | undefined;
  /**
   * The id of the non-deleted reason whose text key (`textKey`) is `key`, if
   * there is one. Only for the keys the write declared (`WriteRequest.textKeys`):
   * the store reads what uniqueness needs for those, and nothing more.
   */
  holderOf(key: string): number | undefined;
  /** The reason the write targets (`WriteRequest.target`), deleted or not; undefined when it does not exist. */
  target: StoredReason | undefined;
  /** Every non-deleted reason, in no particular order: only for a write that asked (`WriteRequest.readLive`), else undefined. */
  liveReasons: readonly StoredReason[] | undefined;
}

/** A new order value for one live reason. */
export interface OrderChange {
  id: number;
  order: number;
}

/**
 * What one write does. A `replace` writes one reason whole (an edit, a delete, a
 * restore); a `reorder` changes the order of live reasons and nothing else of them.
 */
export type WritePlan =
  | { kind: 'create'; reasons: StatusReason[] }
  | { kind: 'replace'; reason: StatusReason }
  | { kind: 'reorder'; changes: OrderChange[] };

/** An idempotency key as the store keeps it: scoped by the adapter, with a fingerprint of the request. */
export interface IdempotencyKey {
  /** Unique per account across adapters, e.g. `lp:<Idempotency-Key>`. */
  key: string;
  /** A digest of what the request asks (operation, path, body): the same key with another request is refused. */
  fingerprint: string;
}

/**
 * A create as data: what `createStatusReasons` asks, in a form another writer
 * can judge. The store may hand a create that waits for the account's lease to
 * the writer holding it, which decides it (`decideCreate`, status-reasons.ts)
 * on the state its own write left, with its own revision and history entry,
 * in its own commit (group commit, functions/store/group.ts).
 */
export interface CreateCommand {
  kind: 'create';
  items: NewReason[];
  single?: boolean;
  unorderedAtMost?: number;
  ifMatch?: number;
  origin?: ChangeOrigin;
}

export interface WriteRequest {
  /** How many fresh ids the write needs. */
  newIds: number;
  /** The id of the reason the write changes, if any: the state then holds it. */
  target?: number;
  /** The text keys whose holders the decision may ask for (`AccountState.holderOf`): those of the texts it may set. */
  textKeys?: string[];
  /** Hand the decision every non-deleted reason (`AccountState.liveReasons`): at most the cap, whatever the history. */
  readLive?: boolean;
  idempotency?: IdempotencyKey;
  /** The write as data, when it is a create: the store may have another writer judge it (see `CreateCommand`). */
  command?: CreateCommand;
}

export interface WriteDecision {
  plan: WritePlan;
  /** The write's change-history entry (its revision is the state's plus one); the store stamps `at` and commits it with the write. */
  entry: ChangeRecord;
  /** A small JSON value from which the domain rebuilds its answer; kept with an idempotency key and handed back on a repeat. */
  answer: unknown;
}

export interface WriteOutcome {
  /** The revision the write committed as. */
  revision: number;
  /** The decision's `answer`: this write's, or the first one's when `replayed`. */
  answer: unknown;
  /** True when the idempotency key had already been used by the same request: nothing was written now. */
  replayed: boolean;
}

/** A page of the change history (SPEC §6). */
export interface ChangesPage {
  /** The account's revision when read. */
  revision: number;
  /** Entries after `since`, oldest first. */
  changes: ChangeEntry[];
  /** Whether entries after the last one answered exist. */
  more: boolean;
}

export interface StatusReasonStore {
  /**
   * The account's current revision, by one small read (0 for a new account):
   * what a list checks a copy it keeps against (platform/list-copies.ts).
   */
  revision(accountId: string): Promise<number>;
  /**
   * The account's reasons at one revision (a new account is at revision 0 with
   * none): the non-deleted ones, and the deleted ones only when asked.
   */
  read(accountId: string, options?: { includeDeleted?: boolean }): Promise<{ revision: number; reasons: StoredReason[] }>;
  /** One reason (deleted ones included) and the account's revision, at one revision. */
  get(accountId: string, id: number): Promise<{ revision: number; reason: StoredReason | undefined }>;
  /**
   * Runs one write: takes the account's write lease, allocates `newIds` fresh ids,
   * hands `decide` the account's state, which no other writer can change until this
   * write ends, and applies the plan it returns so that a read sees all of it or none
   * of it. If `decide` throws, nothing is written and the error propagates. The
   * revision rises by exactly 1 when the write succeeds. With an idempotency key
   * already used by the same request, nothing is written and the first answer returns.
   */
  write(accountId: string, request: WriteRequest, decide: (state: AccountState, ids: number[]) => WriteDecision): Promise<WriteOutcome>;
  /**
   * The entries after revision `since` (at most `limit`, oldest first). `since`
   * above the current revision is refused (`invalid`); below what is kept, it is
   * `history_gone` with the oldest kept revision. `since` equal to the current
   * revision costs one small read.
   */
  changes(accountId: string, since: number, limit: number): Promise<ChangesPage>;
}
