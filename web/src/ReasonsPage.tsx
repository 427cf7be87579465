import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError, HistoryGone, STATE_LABEL, STATES, StatusReasonsApi, type ChangesPage, type Reason, type ReasonList, type State } from './api.js';
import { useAnnounce } from './announcer.js';
import type { Session } from './auth.js';
import { AddReasons } from './AddReasons.js';
import { describeChanges, inOrder, withEntries, withItems, withReordered } from './model.js';
import { History } from './History.js';
import { ReasonList as ReasonListView, DeletedReasons, type Draft } from './ReasonList.js';

/** How often the list is checked for other admins' changes while the tab is visible (`changes?since=`: one small read when nothing changed). */
const POLL_MS = 5_000;
/** Pages of history a poll applies before it reads the whole list instead. */
const CATCH_UP_PAGES = 5;

/**
 * The list at the newest revision: `known` with the history entries after its
 * revision applied (exact, by the history's contract). When the history no
 * longer reaches back that far (410), or the list is far behind, the list is read again.
 */
export async function catchUp(api: StatusReasonsApi, known: ReasonList, includeDeleted: boolean): Promise<ReasonList> {
  let list = known;
  for (let page = 0; page < CATCH_UP_PAGES; page++) {
    let answer: ChangesPage;
    try {
      answer = await api.changes(list.revision);
    } catch (error) {
      if (error instanceof HistoryGone) return (await api.list(includeDeleted))!;
      throw error;
    }
    list = withEntries(list, answer.changes, includeDeleted);
    if (!answer.more) return list;
  }
  return (await api.list(includeDeleted))!;
}

export type Filter = State | 'all';

interface Conflict {
  what: string;
  changes: string[];
  from: number;
  to: number;
}

/** A write's outcome as its caller needs it: done, refused with a message for the caller to show, or handled here (a conflict). */
export type WriteOutcome<T> = { ok: true; result: T } | { ok: false; error: ApiError } | { ok: false; error?: undefined };

export interface Writer {
  <T>(what: string, send: (ifMatch: number) => Promise<T>, apply: (list: ReasonList, result: T) => ReasonList, optimistic?: (list: ReasonList) => ReasonList): Promise<WriteOutcome<T>>;
}

export function ReasonsPage({ session, onSignOut }: { session: Session; onSignOut: (why?: string) => void }) {
  const api = useMemo(() => new StatusReasonsApi(session.account, session.token), [session]);
  const queryClient = useQueryClient();
  const announce = useAnnounce();
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [filter, setFilter] = useState<Filter>('all');
  const [conflict, setConflict] = useState<Conflict>();
  const [failure, setFailure] = useState<string>();
  const [undo, setUndo] = useState<Reason>();
  const [view, setView] = useState<'reasons' | 'history'>('reasons');
  const focusLost = useFocusLostTo();
  // Rows' unsaved texts by reason id (a row reports its own), and a way to set one aside while this admin's own write takes the row away.
  const drafts = useRef(new Map<number, Draft>());
  const onDraft = useCallback((id: number, draft: Draft | undefined) => void (draft ? drafts.current.set(id, draft) : drafts.current.delete(id)), []);
  const setAside = useCallback((id: number) => {
    const draft = drafts.current.get(id);
    drafts.current.delete(id);
    return () => void (draft && !drafts.current.has(id) && drafts.current.set(id, draft));
  }, []);
  const queryKey = useMemo(() => ['reasons', session.account, includeDeleted] as const, [session.account, includeDeleted]);

  const query = useQuery({
    queryKey,
    queryFn: async () => {
      const known = queryClient.getQueryData<ReasonList>(queryKey);
      const fresh = known ? await catchUp(api, known, includeDeleted) : (await api.list(includeDeleted))!;
      // A write answered while this read was on its way is newer than what the read saw.
      const now = queryClient.getQueryData<ReasonList>(queryKey);
      return now && now.revision > fresh.revision ? now : fresh;
    },
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
    retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
  });

  const expired = query.error instanceof ApiError && query.error.status === 401;
  useEffect(() => {
    if (expired) onSignOut('Your sign-in has expired. Sign in again.');
  }, [expired, onSignOut]);

  // Writes run one after another, each sending the revision on screen when it starts.
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const write: Writer = useCallback(
    <T,>(what: string, send: (ifMatch: number) => Promise<T>, apply: (list: ReasonList, result: T) => ReasonList, optimistic?: (list: ReasonList) => ReasonList) => {
      const run = async (): Promise<WriteOutcome<T>> => {
        const shown = queryClient.getQueryData<ReasonList>(queryKey);
        if (!shown) return { ok: false };
        await queryClient.cancelQueries({ queryKey });
        if (optimistic) queryClient.setQueryData(queryKey, optimistic(shown));
        try {
          const result = await send(shown.revision);
          queryClient.setQueryData<ReasonList>(queryKey, (current) => apply(current ?? shown, result));
          // The other view (with or without deleted reasons) is now out of date.
          queryClient.removeQueries({ queryKey: ['reasons', session.account, !includeDeleted] });
          setConflict(undefined);
          setFailure(undefined);
          return { ok: true, result };
        } catch (error) {
          if (optimistic) queryClient.setQueryData(queryKey, shown);
          if (!(error instanceof ApiError)) throw error;
          if (error.status === 401) {
            onSignOut('Your sign-in has expired. Sign in again.');
            return { ok: false };
          }
          if (error.status === 409) {
            await reloadAfterConflict(what, shown);
            return { ok: false };
          }
          return { ok: false, error };
        }
      };
      const reloadAfterConflict = async (whatWasRefused: string, shown: ReasonList) => {
        try {
          const fresh = (await api.list(includeDeleted))!;
          queryClient.setQueryData(queryKey, fresh);
          setConflict({ what: whatWasRefused, changes: describeChanges(shown.items, fresh.items), from: shown.revision, to: fresh.revision });
          announce(`Not saved: someone else changed the status reasons. The list was reloaded.`);
        } catch (error) {
          setFailure(`Someone else changed the status reasons, and reloading them failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      const next = queue.current.then(run, run);
      queue.current = next.catch(() => undefined);
      return next;
    },
    [api, queryClient, queryKey, includeDeleted, session.account, announce, onSignOut],
  );

  const list = query.data;
  const live = useMemo(() => list?.items.filter((item) => !item.deleted) ?? [], [list]);
  const deleted = useMemo(() => list?.items.filter((item) => item.deleted) ?? [], [list]);
  const visible = useMemo(() => (filter === 'all' ? live : live.filter((item) => item.state === filter)), [live, filter]);
  const counts = useMemo(() => {
    const byState: Record<Filter, number> = { all: live.length, Online: 0, Occupied: 0, Away: 0 };
    for (const item of live) byState[item.state]++;
    return byState;
  }, [live]);

  const save = useCallback(
    async (reason: Reason, fields: Partial<Pick<Reason, 'text' | 'state' | 'enabled'>>, what: string) => {
      // This admin's own state change may take the row out of the filter: nobody else's doing.
      const putBack = fields.state && fields.state !== reason.state ? setAside(reason.id) : undefined;
      const outcome = await write(
        what,
        (ifMatch) => api.replace(reason.id, { text: fields.text ?? reason.text, state: fields.state ?? reason.state, enabled: fields.enabled ?? reason.enabled }, ifMatch),
        (current, { revision, item }) => withItems(current, revision, [item], includeDeleted),
      );
      if (outcome.ok) announce(`Saved: ${what}.`);
      else putBack?.();
      // A state change inside a filter takes the row (and the focus in it) out of view.
      if (outcome.ok && fields.state && filter !== 'all' && fields.state !== filter) focusLost.request();
      return outcome.ok ? undefined : outcome.error?.message;
    },
    [write, api, includeDeleted, announce, filter, focusLost, setAside],
  );

  const remove = useCallback(
    async (reason: Reason) => {
      const putBack = setAside(reason.id);
      const outcome = await write(`delete “${reason.text}”`, (ifMatch) => api.remove(reason.id, ifMatch), (current, { revision, item }) => withItems(current, revision, [item], includeDeleted));
      if (!outcome.ok) putBack();
      if (outcome.ok) {
        setUndo(outcome.result.item);
        announce(`Deleted “${reason.text}”. Undo is available.`);
      }
      return outcome.ok ? undefined : outcome.error?.message;
    },
    [write, api, includeDeleted, announce, setAside],
  );

  const restore = useCallback(
    async (reason: Reason) => {
      const outcome = await write(`restore “${reason.text}”`, (ifMatch) => api.restore(reason, ifMatch), (current, { revision, item }) => withItems(current, revision, [item], includeDeleted));
      if (outcome.ok) {
        setUndo((shown) => (shown?.id === reason.id ? undefined : shown));
        announce(`Restored “${reason.text}”.`);
        focusLost.request(reason.id);
      }
      return outcome.ok ? undefined : outcome.error?.message;
    },
    [write, api, includeDeleted, announce, focusLost],
  );

  const reorder = useCallback(
    async (ids: number[], moved: Reason, position: number, of: number) => {
      const outcome = await write(
        `move “${moved.text}”`,
        (ifMatch) => api.reorder(ids, ifMatch),
        (current, answer) => withReordered(current, answer, includeDeleted),
        (current) => inOrder(current, ids),
      );
      if (outcome.ok) announce(`Saved: “${moved.text}” is at position ${position} of ${of}.`);
      else if (outcome.error) {
        setFailure(`“${moved.text}” was not moved: ${outcome.error.message}`);
        announce(`Not saved: “${moved.text}” was not moved.`);
      }
    },
    [write, api, includeDeleted, announce],
  );

  const create = useCallback(
    (items: { text: string; state: State }[]) =>
      write(
        items.length === 1 ? `add “${items[0]!.text}”` : `add ${items.length} reasons`,
        (ifMatch) => api.create(items, ifMatch),
        (current, answer) => withItems(current, answer.revision, answer.items, includeDeleted),
      ),
    [write, api, includeDeleted],
  );

  // A row whose text was being typed, gone because of another admin's write a poll brought (a delete, or a state this filter hides):
  // its draft went with it, so say what was not saved rather than lose it silently.
  useEffect(() => {
    if (!list) return;
    const shown = new Set(visible.map((item) => item.id));
    const lost: string[] = [];
    for (const [id, draft] of drafts.current) {
      if (shown.has(id)) continue;
      // Its row is no longer drawn, and what was typed in it is gone with it.
      drafts.current.delete(id);
      const now = list.items.find((item) => item.id === id);
      const gone = !now || now.deleted;
      // Hidden by a filter this admin chose, the reason unchanged: their own doing (leaving the field saved the text).
      if (!gone && now.state === draft.state) continue;
      const what = gone ? 'deleted it' : `made it ${STATE_LABEL[now.state]}, which this filter hides`;
      lost.push(`while you were renaming “${draft.from}” to “${draft.to.trim()}”, someone else ${what}`);
    }
    if (!lost.length) return;
    setFailure(`Not saved: ${lost.join('; ')}.`);
    focusLost.request();
  }, [list, visible, focusLost]);

  const filterGroup = useId();

  return (
    <div className="page">
      <header className="top">
        <div>
          <h1>Status reasons</h1>
          <p className="who">
            Account <strong data-testid="account">{session.account}</strong>
            {list && (
              <>
                {' · '}revision <span data-testid="revision">{list.revision}</span>
              </>
            )}
            {' · '}
            {session.canWrite ? <span>read and write</span> : <span className="badge">Read only</span>}
          </p>
        </div>
        <button type="button" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>

      <main>
        {conflict && (
          <section className="conflict" role="alert" aria-labelledby="conflict-title">
            <h2 id="conflict-title">Someone else changed these status reasons</h2>
            <p>
              Your change ({conflict.what}) was not saved: the list changed since you loaded it (revision {conflict.from} → {conflict.to}). It now shows the latest
              version.{conflict.changes.length > 0 ? ' What changed:' : ''}
            </p>
            {conflict.changes.length > 0 && (
              <ul>
                {conflict.changes.slice(0, 10).map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
                {conflict.changes.length > 10 && <li>and {conflict.changes.length - 10} more</li>}
              </ul>
            )}
            <p>Make your change again if it is still needed.</p>
            <button type="button" onClick={() => setConflict(undefined)}>
              Dismiss
            </button>
          </section>
        )}
        {failure && (
          <section className="failure" role="alert">
            <p>{failure}</p>
            <button type="button" onClick={() => setFailure(undefined)}>
              Dismiss
            </button>
          </section>
        )}

        <nav className="views" aria-label="Views">
          <button type="button" aria-current={view === 'reasons' ? 'page' : undefined} onClick={() => setView('reasons')}>
            Reasons
          </button>
          <button type="button" aria-current={view === 'history' ? 'page' : undefined} onClick={() => setView('history')}>
            History
          </button>
        </nav>

        {view === 'history' && list && <History api={api} revision={list.revision} />}
        {view === 'history' && !list && query.isPending && (
          <p className="placeholder" aria-busy="true">
            Loading…
          </p>
        )}

        {view === 'reasons' && session.canWrite && list && <AddReasons create={create} />}

        {view === 'reasons' && (
          <section aria-labelledby="list-title" className="list-section">
            <div className="list-head">
              <h2 id="list-title" tabIndex={-1} ref={focusLost.fallback}>Reasons{list ? ` (${live.length})` : ''}</h2>
              <div className="filters" role="group" aria-labelledby={filterGroup}>
                <span id={filterGroup} className="visually-hidden">
                  Show reasons by state
                </span>
                {(['all', ...STATES] as Filter[]).map((value) => (
                  <button key={value} type="button" aria-pressed={filter === value} onClick={() => setFilter(value)} className={`filter state-${value}`}>
                    {value === 'all' ? 'All' : STATE_LABEL[value]} <span className="count">{counts[value]}</span>
                  </button>
                ))}
              </div>
              <label className="choice show-deleted">
                <input type="checkbox" checked={includeDeleted} onChange={(e) => setIncludeDeleted(e.target.checked)} /> Show deleted
              </label>
            </div>

            {query.isPending && (
              <p className="placeholder" aria-busy="true">
                Loading status reasons…
              </p>
            )}
            {query.isError && !list && !expired && (
              <div className="error-state" role="alert">
                <p>The status reasons could not be loaded: {query.error.message}</p>
                <button type="button" onClick={() => query.refetch()}>
                  Try again
                </button>
              </div>
            )}
            {list && live.length === 0 && (
              <p className="placeholder">{session.canWrite ? 'No status reasons yet. Add the first ones above, one per line.' : 'This account has no status reasons yet.'}</p>
            )}
            {list && live.length > 0 && visible.length === 0 && <p className="placeholder">No reasons are {STATE_LABEL[filter as State]}.</p>}
            {list && visible.length > 0 && (
              <ReasonListView
                reasons={visible}
                wholeIds={live.map((item) => item.id)}
                canWrite={session.canWrite}
                onSave={save}
                onDelete={remove}
                onReorder={reorder}
                onDraft={onDraft}
              />
            )}
            {list && includeDeleted && <DeletedReasons reasons={deleted} canWrite={session.canWrite} onRestore={restore} />}
          </section>
        )}
      </main>

      {undo && <UndoToast reason={undo} onUndo={() => restore(undo)} onClose={() => {
            setUndo(undefined);
            focusLost.request();
          }} />}
    </div>
  );
}

/** Frames to wait for a restored row to be drawn before the focus goes to the list's heading instead. */
const FOCUS_FRAMES = 10;

/**
 * Where the keyboard's focus goes when the element that had it leaves the page
 * (the Undo bar closed, a Restore button's row gone, a row filtered out): the
 * reason's text field when its row is drawn, else the list's heading. Only when
 * the focus is lost: an admin who has moved on keeps their place.
 */
function useFocusLostTo() {
  const fallback = useRef<HTMLHeadingElement>(null);
  const request = useCallback((id?: number) => {
    // The element with focus now may leave the page a render or two later (the Undo bar, a filtered-out row).
    const from = document.activeElement;
    let frames = 0;
    const tryFocus = () => {
      const active = document.activeElement;
      const lost = !active || active === document.body || (active === from && !from.isConnected);
      if (!lost && active !== from) return;
      const field = id === undefined ? null : document.querySelector<HTMLElement>(`ol.reasons li[data-id="${id}"] input.text`);
      if (lost && (field || id === undefined)) return (field ?? fallback.current)?.focus();
      if (++frames < FOCUS_FRAMES) return void requestAnimationFrame(tryFocus);
      if (lost) fallback.current?.focus();
    };
    requestAnimationFrame(tryFocus);
  }, []);
  return useMemo(() => ({ fallback, request }), [request]);
}

function UndoToast({ reason, onUndo, onClose }: { reason: Reason; onUndo: () => Promise<string | undefined>; onClose: () => void }) {
  const undoButton = useRef<HTMLButtonElement>(null);
  const [error, setError] = useState<string>();
  useEffect(() => undoButton.current?.focus(), [reason.id]);
  return (
    <div className="toast" role="region" aria-label="Deleted">
      <p>
        Deleted “{reason.text}”.{error && (
          <span className="error" role="alert">
            {' '}
            Not restored: {error}
          </span>
        )}
      </p>
      <button
        ref={undoButton}
        type="button"
        className="primary"
        onClick={async () => {
          const message = await onUndo();
          if (message) setError(message);
        }}
      >
        Undo
      </button>
      <button type="button" aria-label="Close" onClick={onClose}>
        ×
      </button>
    </div>
  );
}
