// The LivePerson-compatible API as the console uses it: every write carries
// `If-Match` with the revision on screen; the list is polled with `If-None-Match`.

export type State = 'Online' | 'Occupied' | 'Away';
export const STATES: readonly State[] = ['Online', 'Occupied', 'Away'];
/** LivePerson's agent workspace shows `Occupied` as "Back soon"; so does the console. */
export const STATE_LABEL: Record<State, string> = { Online: 'Online', Occupied: 'Back soon', Away: 'Away' };

export interface Reason {
  id: number;
  text: string;
  state: State;
  enabled: boolean;
  deleted: boolean;
  order: number;
  description?: string;
  tags?: Record<string, string>;
}

export interface ReasonList {
  revision: number;
  items: Reason[];
}

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
    /** The error's whole body, for fields beyond `message` and `errors` (a 410's `oldestRevision`). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type ChangeOp = 'created' | 'updated' | 'deleted' | 'restored' | 'reordered';

/** One reason a write changed: the reason as the write left it, and the old values of the fields that changed (`null`: the field was absent). */
export interface ReasonChange {
  id: number;
  op: ChangeOp;
  reason: Reason;
  before?: Partial<Record<keyof Reason, unknown>>;
}

/** One write's entry in the change history (`GET base/changes`). */
export interface HistoryEntry {
  revision: number;
  at: string;
  via: 'liveperson' | 'connect' | 'invoke';
  actor: Record<string, unknown>;
  changes: ReasonChange[];
}

export interface ChangesPage {
  /** The account's current revision. */
  revision: number;
  /** Entries after `since`, oldest first. */
  changes: HistoryEntry[];
  /** Entries after the last one answered exist. */
  more: boolean;
}

/** A `since` older than the history kept: entries before `oldestRevision` are gone. */
export class HistoryGone extends Error {
  constructor(readonly oldestRevision: number) {
    super(`History before revision ${oldestRevision} is no longer kept.`);
  }
}

export interface NewReason {
  text: string;
  state: State;
}

/** Reasons in the API's list order: `order`, then `id`. */
export const byOrder = (a: Reason, b: Reason) => a.order - b.order || a.id - b.id;

export class StatusReasonsApi {
  readonly base: string;

  constructor(
    readonly account: string,
    private readonly token: string,
  ) {
    this.base = `/api/account/${encodeURIComponent(account)}/configuration/le-agents/status-reasons`;
  }

  private async send(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
    } catch {
      throw new ApiError(0, 'The service could not be reached. Check your connection and try again.');
    }
    const revision = Number(response.headers.get('ac-revision') ?? NaN);
    if (response.status === 304) return { status: 304, revision, body: undefined as unknown };
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const fields = (body !== null && typeof body === 'object' ? body : {}) as { message?: string; errors?: FieldError[] };
      throw new ApiError(response.status, fields.message ?? `The service answered ${response.status}.`, Array.isArray(fields.errors) ? fields.errors : [], fields as Record<string, unknown>);
    }
    return { status: response.status, revision, body };
  }

  /** The list, or undefined when it is still at `knownRevision` (a 304). */
  async list(includeDeleted: boolean, knownRevision?: number): Promise<ReasonList | undefined> {
    const answer = await this.send(includeDeleted ? '?include_deleted=true' : '', {
      headers: knownRevision === undefined ? {} : { 'if-none-match': String(knownRevision) },
    });
    if (answer.status === 304) return undefined;
    return { revision: answer.revision, items: answer.body as Reason[] };
  }

  /** The entries after `since`, oldest first, at most `limit` (1–100); a 410 is a HistoryGone. */
  async changes(since: number, limit = 100): Promise<ChangesPage> {
    try {
      const answer = await this.send(`/changes?since=${since}&limit=${limit}`);
      return answer.body as ChangesPage;
    } catch (error) {
      if (error instanceof ApiError && error.status === 410) {
        const oldest = Number(error.body.oldestRevision);
        if (Number.isSafeInteger(oldest)) throw new HistoryGone(oldest);
      }
      throw error;
    }
  }

  async create(items: NewReason[], ifMatch: number): Promise<ReasonList> {
    const answer = await this.send('', { method: 'POST', body: items, headers: { 'if-match': String(ifMatch) } });
    return { revision: answer.revision, items: answer.body as Reason[] };
  }

  /** PUT: text and state are required; the other fields sent replace the stored ones. */
  async replace(id: number, fields: { text: string; state: State; enabled?: boolean; deleted?: boolean }, ifMatch: number): Promise<{ revision: number; item: Reason }> {
    const answer = await this.send(`/${id}`, { method: 'PUT', body: fields, headers: { 'if-match': String(ifMatch) } });
    return { revision: answer.revision, item: answer.body as Reason };
  }

  async remove(id: number, ifMatch: number): Promise<{ revision: number; item: Reason }> {
    const answer = await this.send(`/${id}`, { method: 'DELETE', headers: { 'if-match': String(ifMatch) } });
    return { revision: answer.revision, item: answer.body as Reason };
  }

  restore(reason: Reason, ifMatch: number) {
    return this.replace(reason.id, { text: reason.text, state: reason.state, deleted: false }, ifMatch);
  }

  /** Every non-deleted reason's id, in the wanted order; answers the list. */
  async reorder(ids: number[], ifMatch: number): Promise<ReasonList> {
    const answer = await this.send('/reorder', { method: 'POST', body: { ids }, headers: { 'if-match': String(ifMatch) } });
    const body = answer.body as Reason[] | { items: Reason[] };
    return { revision: answer.revision, items: Array.isArray(body) ? body : body.items };
  }
}
