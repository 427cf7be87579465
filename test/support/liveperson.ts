// Shortcuts for LivePerson requests in handler tests: one place for the paths.
import type { Context } from 'aws-lambda';
import { beforeAll } from 'vitest';
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
