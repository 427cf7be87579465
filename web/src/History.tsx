// The change history (`GET base/changes`): who changed what, when, newest
// first. Paged by `since`: the newest page first, older pages on request; it
// follows the revision on screen (which the page's polling keeps current).
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, HistoryGone, type HistoryEntry, type StatusReasonsApi } from './api.js';
import { describeActor, describeChange } from './model.js';

/** Entries per page of the view. */
const PAGE = 20;
/** Changes of one entry shown before “Show all”. */
const CHANGES_SHOWN = 5;

const OP_LABEL = { created: 'Created', updated: 'Updated', deleted: 'Deleted', restored: 'Restored', reordered: 'Moved' } as const;

/** The entries with revisions in (since, until], oldest first; a page may stop short (the API caps its size), so ask until done. */
async function loadRange(api: StatusReasonsApi, since: number, until: number): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  let after = since;
  while (after < until) {
    const page = await api.changes(after, Math.min(100, until - after));
    const inRange = page.changes.filter((entry) => entry.revision > after && entry.revision <= until);
    if (inRange.length === 0) break;
    entries.push(...inRange);
    after = inRange[inRange.length - 1]!.revision;
    if (!page.more) break;
  }
  return entries;
}

interface Loaded {
  /** Newest first. */
  entries: HistoryEntry[];
  /** Entries after this revision are loaded (0: the whole history). */
  since: number;
  /** The revision the newest load reached. */
  until: number;
  /** Set when the history kept starts after revision 1: entries before it are gone. */
  oldestKept?: number;
}

export function History({ api, revision }: { api: StatusReasonsApi; revision: number }) {
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const latest = useRef<Loaded | undefined>(undefined);
  latest.current = loaded;
  // The first of the entries *Show older changes* brought: the focus goes there (the button may be gone, and the admin asked to read them).
  const [focusRevision, setFocusRevision] = useState<number>();
  const olderButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (focusRevision === undefined) return;
    const active = document.activeElement;
    if (active && active !== document.body && active !== olderButton.current) return;
    document.querySelector<HTMLElement>(`li.entry[data-revision="${focusRevision}"]`)?.focus();
  }, [focusRevision]);

  /** Loads (since, until]; on a 410 loads what is kept and remembers where it starts. */
  const loadKept = useCallback(
    async (since: number, until: number): Promise<{ entries: HistoryEntry[]; since: number; oldestKept?: number }> => {
      try {
        return { entries: await loadRange(api, since, until), since };
      } catch (e) {
        if (!(e instanceof HistoryGone)) throw e;
        const from = Math.max(since, e.oldestRevision - 1);
        return { entries: from < until ? await loadRange(api, from, until) : [], since: from, oldestKept: e.oldestRevision };
      }
    },
    [api],
  );

  const guard = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }, []);

  // The newest page first; then whatever the revision on screen moves to.
  useEffect(() => {
    const shown = latest.current;
    if (shown && shown.until >= revision) return;
    let cancelled = false;
    void guard(async () => {
      if (!shown) {
        const page = await loadKept(Math.max(0, revision - PAGE), revision);
        if (!cancelled) setLoaded({ entries: page.entries.reverse(), since: page.since, until: revision, ...(page.oldestKept !== undefined && { oldestKept: page.oldestKept }) });
        return;
      }
      const newer = await loadRange(api, shown.until, revision);
      if (!cancelled) setLoaded((now) => (now ? { ...now, entries: [...newer.reverse(), ...now.entries.filter((e) => e.revision <= shown.until)], until: revision } : now));
    });
    return () => {
      cancelled = true;
    };
  }, [api, revision, guard, loadKept]);

  const showOlder = () =>
    guard(async () => {
      const shown = latest.current;
      if (!shown || shown.since === 0) return;
      const page = await loadKept(Math.max(0, shown.since - PAGE), shown.since);
      setLoaded((now) => now && { ...now, entries: [...now.entries, ...page.entries.reverse()], since: page.since, ...(page.oldestKept !== undefined && { oldestKept: page.oldestKept }) });
      if (page.entries.length) setFocusRevision(Math.max(...page.entries.map((entry) => entry.revision)));
    });

  const gone = loaded?.oldestKept !== undefined;

  return (
    <section aria-labelledby="history-title" className="history-section">
      <h2 id="history-title">History</h2>
      <p className="hint">Every change to this account’s status reasons, newest first: who made it, when, and what it changed.</p>
      {!loaded && !error && (
        <p className="placeholder" aria-busy="true">
          Loading history…
        </p>
      )}
      {loaded && loaded.entries.length === 0 && !gone && <p className="placeholder">No changes yet.</p>}
      {loaded && loaded.entries.length > 0 && (
        <ol className="history" aria-label="Changes, newest first">
          {loaded.entries.map((entry) => (
            <Entry key={entry.revision} entry={entry} />
          ))}
        </ol>
      )}
      {error && (
        <div className="error-state" role="alert">
          <p>The history could not be loaded: {error}</p>
        </div>
      )}
      {loaded && gone && <p className="placeholder history-gone">History before revision {loaded.oldestKept} is no longer kept.</p>}
      {loaded && loaded.since > 0 && !gone && (
        // aria-disabled, not disabled: a disabled button drops the keyboard's focus on the body.
        <button type="button" ref={olderButton} onClick={() => void (busy || showOlder())} aria-disabled={busy || undefined}>
          Show older changes
        </button>
      )}
    </section>
  );
}

function Entry({ entry }: { entry: HistoryEntry }) {
  const [all, setAll] = useState(false);
  const { who, via } = describeActor(entry);
  const changes = all ? entry.changes : entry.changes.slice(0, CHANGES_SHOWN);
  const at = new Date(entry.at);
  return (
    <li className="entry" data-revision={entry.revision} tabIndex={-1}>
      <p className="entry-head">
        <strong>Revision {entry.revision}</strong> · <time dateTime={entry.at}>{Number.isNaN(at.getTime()) ? entry.at : at.toLocaleString()}</time> · <span className="actor">{who}</span>{' '}
        <span className="via">via {via}</span>
      </p>
      {entry.changes.length === 0 ? (
        <p className="entry-none">No reason changed (a reorder that kept the order).</p>
      ) : (
        <ul className="entry-changes">
          {changes.map((change, i) => {
            const line = describeChange(change);
            return (
              <li key={`${change.id}-${i}`}>
                <span className={`op op-${line.op}`}>{OP_LABEL[line.op] ?? line.op}</span> “{line.text}”{line.values.length > 0 && <>: {line.values.join('; ')}</>}
              </li>
            );
          })}
        </ul>
      )}
      {entry.changes.length > CHANGES_SHOWN && (
        <button type="button" className="link" onClick={() => setAll(!all)} aria-expanded={all}>
          {all ? 'Show fewer' : `Show all ${entry.changes.length} changes`}
        </button>
      )}
    </li>
  );
}
