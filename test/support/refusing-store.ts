// A store whose writes are refused with one of the domain's refusal kinds, the
// way a store under load answers (too many waiters, a key still in flight, an
// outcome it could not learn), while reads go to the real store. For testing
// how each adapter words such answers, not the store itself.
import { DomainError, type DomainErrorKind } from '../../functions/domain/errors.js';
import type { StatusReasonStore } from '../../functions/domain/store.js';

export function refusingStore(base: StatusReasonStore, kind: DomainErrorKind): StatusReasonStore {
  return {
    revision: (accountId) => base.revision(accountId),
    read: (accountId, options) => base.read(accountId, options),
    get: (accountId, id) => base.get(accountId, id),
    changes: (accountId, since, limit) => base.changes(accountId, since, limit),
    write: async () => {
      throw new DomainError(kind, `The write was refused (${kind}).`);
    },
  };
}
