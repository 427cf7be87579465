// Shortcuts for LivePerson requests in handler tests: one place for the paths.
import type { Context } from 'aws-lambda';
import { beforeAll, expect } from 'vitest';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import type { StatusReason } from '../../functions/domain/status-reason.js';
import type { HttpEvent, HttpResult } from '../../functions/platform/http/types.js';
import { createTestTable, type TestTable } from './dynamo.js';
import { BASE, call, type Answer, type EventOptions } from './events.js';

export type Reason = StatusReason;
type Extra = Partial<EventOptions>;

export const itemPath = (account: string, id: number | string) => `${BASE(account)}/${id}`;

/** post/list/getOne/put/del against a handler, or through any `send` (e.g. one with a longer Lambda context). */
export function livePersonRequests(target: (() => (event: HttpEvent, context: Context) => Promise<HttpResult>) | { send: (options: EventOptions) => Promise<Answer> }) {
  const send = 'send' in target ? target.send : (options: EventOptions) => call(target(), options);
  return {
    post: (account: string, body: unknown, extra: Extra = {}) => send({ method: 'POST', path: BASE(account), body, ...extra }),
    list: (account: string, extra: Extra = {}) => send({ method: 'GET', path: BASE(account), ...extra }),
    getOne: (account: string, id: number | string, extra: Extra = {}) => send({ method: 'GET', path: itemPath(account, id), ...extra }),
    put: (account: string, id: number | string, body: unknown, extra: Extra = {}) => send({ method: 'PUT', path: itemPath(account, id), body, ...extra }),
    del: (account: string, id: number | string, extra: Extra = {}) => send({ method: 'DELETE', path: itemPath(account, id), ...extra }),
  };
}

/** Everything an account holds (deleted included) and its revision: what "nothing changed" is checked against. */
export interface AccountState {
  revision: string;
  items: Reason[];
}

/** An account's state, a seeding that must succeed, and a refused write that must leave the account as it was. */
export function accountChecks({ post, list }: Pick<ReturnType<typeof livePersonRequests>, 'post' | 'list'>) {
  async function state(account: string): Promise<AccountState> {
    const res = await list(account, { query: { include_deleted: 'true' } });
    expect(res.status).toBe(200);
    return { revision: res.headers['ac-revision']!, items: res.body };
  }

  async function seed(account: string, reasons: Record<string, unknown>[]): Promise<Reason[]> {
    const res = await post(account, reasons);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  /** Expects a refused write: the status, and an account left exactly as it was. */
  async function expectRefused(account: string, res: Answer, status: number, before: AccountState) {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(await state(account)).toEqual(before);
  }

  return { state, seed, expectRefused };
}

export type LivePersonHandler = ReturnType<typeof createLivePersonHandler>;

/**
 * Registers a beforeAll that makes a fresh table for this test file and a
 * LivePerson handler over one store on it; the getters answer them once it has run.
 */
export function livePersonOnTestTable(): { table: () => TestTable; handler: () => LivePersonHandler } {
  let table: TestTable | undefined;
  let handler: LivePersonHandler | undefined;
  beforeAll(async () => {
    table = await createTestTable();
    const store = table.store();
    handler = createLivePersonHandler({ store: () => store });
  });
  return { table: () => table!, handler: () => handler! };
}
