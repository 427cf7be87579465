// The port the domain writes through. Only `functions/store/` implements it.
import type { StatusReason } from './status-reason.js';

/** Every reason of an account that a read may see (deleted ones included), at one revision. */
export interface AccountSnapshot {
  revision: number;
  reasons: StatusReason[];
}

/** What one write does, decided by the domain on a snapshot taken under the account's write lease. */
export type WritePlan = { kind: 'create'; reasons: StatusReason[] } | { kind: 'replace'; reason: StatusReason };

export interface StatusReasonStore {
  /** A consistent snapshot of the account (a new account is at revision 0 with no reasons). */
  read(accountId: string): Promise<AccountSnapshot>;
  /** One reason (deleted ones included) and the account's revision. */
  get(accountId: string, id: number): Promise<{ revision: number; reason: StatusReason | undefined }>;
  /**
   * Runs one write: takes the account's write lease, allocates `newIds` fresh ids,
   * hands `decide` a snapshot no other writer can change until this write ends,
   * and applies the plan it returns so that a read sees all of it or none of it.
   * If `decide` throws, nothing is written and the error propagates.
   * The revision rises by exactly 1 when the write succeeds.
   */
  write(
    accountId: string,
    request: { newIds: number },
    decide: (snapshot: AccountSnapshot, ids: number[]) => WritePlan,
  ): Promise<{ revision: number }>;
}
