import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type DragStartEvent,
  type ScreenReaderInstructions,
  type UniqueIdentifier,
} from '@dnd-kit/core';
import { restrictToVerticalAxis } from './restrict.js';
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { defaultRangeExtractor, useWindowVirtualizer, type Range, type Virtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import { STATE_LABEL, STATES, type Reason, type State } from './api.js';
import { moveInWhole } from './model.js';

type Save = (reason: Reason, fields: Partial<Pick<Reason, 'text' | 'state' | 'enabled'>>, what: string) => Promise<string | undefined>;

/** A row's text typed and not yet saved (`to`), over the reason as the row showed it then. */
export interface Draft {
  from: string;
  to: string;
  state: State;
}
/** Told whenever a row's unsaved text changes (undefined: none left, saved or dropped). */
export type DraftListener = (id: number, draft: Draft | undefined) => void;

interface ListProps {
  reasons: Reason[];
  /** Every non-deleted reason's id in order (the view may be filtered). */
  wholeIds: number[];
  canWrite: boolean;
  onSave: Save;
  onDelete: (reason: Reason) => Promise<string | undefined>;
  onReorder: (ids: number[], moved: Reason, position: number, of: number) => Promise<void>;
  onDraft: DraftListener;
}

const instructions: ScreenReaderInstructions = {
  draggable: 'To move a reason, press Space or Enter on its handle, then the up and down arrow keys to move it, Space or Enter to drop it there, or Escape to cancel.',
};

const modifiers = [restrictToVerticalAxis];

export function ReasonList(props: ListProps) {
  return props.canWrite ? <SortableReasons {...props} /> : <ReadOnlyReasons reasons={props.reasons} />;
}

/** A row's height before it is measured (one line, as styles.css draws it). */
const ROW_ESTIMATE_PX = 45;
/** Rows drawn beyond each edge of the window: enough that Tab and the arrow keys always find the next row drawn. */
const OVERSCAN_ROWS = 10;

/**
 * Only the rows near the window are in the DOM (a 1,000-row list costs what a
 * few dozen rows cost); the list keeps the whole list's height so the page
 * scrolls as before. Rows in `keep` (the one being dragged, the one with
 * focus) stay drawn wherever the window is, so a drag or an edit survives a scroll.
 */
function useWindowedRows(reasons: Reason[], keep: (number | undefined)[] = []) {
  const list = useRef<HTMLOListElement>(null);
  const [listTop, setListTop] = useState(0);
  useLayoutEffect(() => {
    const measure = () => {
      const top = (list.current?.getBoundingClientRect().top ?? 0) + window.scrollY;
      setListTop((shown) => (Math.abs(shown - top) < 1 ? shown : top));
    };
    measure();
    // What is above the list (banners, the add form's errors) or a narrower window moves the list; each changes the page's size.
    const observer = new ResizeObserver(measure);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, []);
  // As a string, so the extractor (and the drawn range) changes only when a kept row moves.
  const kept = keep.map((id) => reasons.findIndex((reason) => reason.id === id)).filter((index) => index >= 0).join(',');
  const rangeExtractor = useCallback(
    (range: Range) => {
      const drawn = new Set(defaultRangeExtractor(range));
      for (const index of kept ? kept.split(',') : []) drawn.add(Number(index));
      return [...drawn].sort((a, b) => a - b);
    },
    [kept],
  );
  const virtualizer = useWindowVirtualizer<HTMLLIElement>({
    count: reasons.length,
    estimateSize: () => ROW_ESTIMATE_PX,
    overscan: OVERSCAN_ROWS,
    scrollMargin: listTop,
    getItemKey: (index) => reasons[index]!.id,
    rangeExtractor,
    initialRect: { width: window.innerWidth, height: window.innerHeight },
  });
  const listStyle: CSSProperties = { position: 'relative', height: virtualizer.getTotalSize() };
  // Each drawn row: its index in the list and its offset from the list's top (the virtualizer's start counts from the page's).
  const rows = virtualizer.getVirtualItems().map(({ index, start }) => ({ index, top: start - virtualizer.options.scrollMargin }));
  return { list, listStyle, virtualizer, rows };
}

/** Where a drawn row sits in the list (data-last: the last reason, whose rule styles.css leaves out), and what tells assistive technology its place among all rows (most are not in the DOM). */
function rowPlace(index: number, of: number) {
  return { 'data-index': index, 'data-last': index === of - 1 || undefined, 'aria-posinset': index + 1, 'aria-setsize': of };
}

function ReadOnlyReasons({ reasons }: { reasons: Reason[] }) {
  const { list, listStyle, virtualizer, rows } = useWindowedRows(reasons);
  return (
    <ol className="reasons windowed" aria-label="Status reasons" ref={list} style={listStyle}>
      {rows.map(({ index, top }) => {
        const reason = reasons[index]!;
        return (
          <li key={reason.id} ref={virtualizer.measureElement} className={`reason${reason.enabled ? '' : ' disabled'}`} data-id={reason.id} {...rowPlace(index, reasons.length)} style={{ top }}>
            <span className="text">{reason.text}</span>
            <StateTag state={reason.state} />
            <span className="enabled-label">{reason.enabled ? 'Enabled' : 'Disabled'}</span>
          </li>
        );
      })}
    </ol>
  );
}

function SortableReasons({ reasons, wholeIds, onSave, onDelete, onReorder, onDraft }: ListProps) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  // The same array while the order is the same: a new one would redraw every drawn row (dnd-kit's context changes with it).
  const idsInOrder = useRef<number[]>([]);
  const ids = useMemo(() => {
    const next = reasons.map((reason) => reason.id);
    const same = next.length === idsInOrder.current.length && next.every((id, i) => id === idsInOrder.current[i]);
    if (!same) idsInOrder.current = next;
    return idsInOrder.current;
  }, [reasons]);
  // Read through refs so the announcements and handlers stay the same objects between renders.
  const latest = useRef({ reasons, ids, wholeIds, onReorder });
  latest.current = { reasons, ids, wholeIds, onReorder };

  const announcements = useMemo<Announcements>(() => {
    const name = (id: UniqueIdentifier) => `“${latest.current.reasons.find((r) => r.id === id)?.text ?? id}”`;
    const position = (id: UniqueIdentifier) => `position ${latest.current.ids.indexOf(Number(id)) + 1} of ${latest.current.ids.length}`;
    return {
      onDragStart: ({ active }) => `Picked up ${name(active.id)}, at ${position(active.id)}.`,
      onDragOver: ({ active, over }) => (over ? `${name(active.id)} is now at ${position(over.id)}.` : `${name(active.id)} is no longer over the list.`),
      onDragEnd: ({ active, over }) => (over ? `${name(active.id)} dropped at ${position(over.id)}. Saving…` : `${name(active.id)} dropped outside the list; not moved.`),
      onDragCancel: ({ active }) => `Moving cancelled. ${name(active.id)} is back at ${position(active.id)}.`,
    };
  }, []);

  // The dragged row and the focused row stay drawn when the window scrolls away from them.
  const [draggedId, setDraggedId] = useState<number>();
  const [focusedId, setFocusedId] = useState<number>();
  const { list, listStyle, virtualizer, rows } = useWindowedRows(reasons, [draggedId, focusedId]);
  const onDragStart = useCallback(({ active }: DragStartEvent) => setDraggedId(Number(active.id)), []);
  const onDragCancel = useCallback(() => setDraggedId(undefined), []);

  const onDragEnd = useCallback(({ active, over }: DragEndEvent) => {
    setDraggedId(undefined);
    if (!over || active.id === over.id) return;
    const { reasons: shown, ids: shownIds, wholeIds: whole, onReorder: reorder } = latest.current;
    const from = shownIds.indexOf(Number(active.id));
    const to = shownIds.indexOf(Number(over.id));
    const moved = shown[from];
    if (!moved || to < 0) return;
    void reorder(moveInWhole(whole, moved.id, Number(over.id), to > from), moved, to + 1, shownIds.length);
  }, []);

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCenter}
      modifiers={modifiers}
      onDragStart={onDragStart}
      onDragEnd={onDragEnd}
      onDragCancel={onDragCancel}
      accessibility={{ announcements, screenReaderInstructions: instructions }}
    >
      {/* Every id, drawn or not: dnd-kit's sortable keeps the whole order and places the drawn rows by it. */}
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        <ol
          className="reasons windowed"
          aria-label="Status reasons"
          ref={list}
          style={listStyle}
          onFocus={(event) => setFocusedId(rowId(event.target))}
          onBlur={(event) => {
            // Read now: React clears currentTarget once the event is handled.
            const staysInList = event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget);
            if (!staysInList) setFocusedId(undefined);
          }}
        >
          {rows.map(({ index, top }) => (
            <SortableRow
              key={reasons[index]!.id}
              reason={reasons[index]!}
              index={index}
              of={reasons.length}
              top={top}
              measure={virtualizer.measureElement}
              onSave={onSave}
              onDelete={onDelete}
              onDraft={onDraft}
            />
          ))}
        </ol>
      </SortableContext>
    </DndContext>
  );
}

/** The id of the row an element is in. */
const rowId = (element: EventTarget) => {
  const id = element instanceof Element ? element.closest('li[data-id]')?.getAttribute('data-id') : undefined;
  return id ? Number(id) : undefined;
};

interface RowProps {
  reason: Reason;
  index: number;
  of: number;
  /** Pixels from the list's top. */
  top: number;
  measure: Virtualizer<Window, HTMLLIElement>['measureElement'];
  onSave: Save;
  onDelete: (reason: Reason) => Promise<string | undefined>;
  onDraft: DraftListener;
}

// Memoized on stable props: a change to one reason (or a move) redraws only the rows it touches.
const SortableRow = memo(function SortableRow({ reason, index, of, top, measure, onSave, onDelete, onDraft }: RowProps) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: reason.id });
  const rowRef = useCallback(
    (node: HTMLLIElement | null) => {
      setNodeRef(node);
      measure(node);
    },
    [setNodeRef, measure],
  );
  const [draft, setDraft] = useState<string>();
  // The text the draft was typed over: a poll may bring another admin's rename while the admin types.
  const draftOver = useRef<string>(undefined);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // A state or enabled change shows at once; the row goes back to the stored value if the write is refused.
  const [pending, setPending] = useState<Partial<Pick<Reason, 'state' | 'enabled'>>>({});
  const state = pending.state ?? reason.state;
  const enabled = pending.enabled ?? reason.enabled;
  const errorId = useId();
  const saving = useRef(false);
  // The page keeps what is typed here, to say so if a poll takes the row away (another admin deleted it).
  useEffect(() => onDraft(reason.id, draft === undefined ? undefined : { from: reason.text, to: draft, state: reason.state }), [onDraft, reason.id, reason.text, reason.state, draft]);

  const run = async (action: () => Promise<string | undefined>) => {
    saving.current = true;
    setBusy(true);
    const message = await action();
    saving.current = false;
    setBusy(false);
    setPending({});
    setError(message);
    return message;
  };

  const commitText = async () => {
    if (draft === undefined || saving.current) return;
    const text = draft.trim();
    if (text === reason.text) return setDraft(undefined);
    if (draftOver.current !== undefined && draftOver.current !== reason.text) {
      // Saving now would replace a rename the field never showed; the admin decides, told (as a 409 would tell them).
      setError(`Not saved: while you typed, someone else renamed “${draftOver.current}” to “${reason.text}”. Enter (or leaving the field) saves yours anyway; Escape keeps theirs.`);
      draftOver.current = reason.text;
      return;
    }
    if (!text) {
      setError('A reason needs a text. Press Escape to keep the old one.');
      return;
    }
    const message = await run(() => onSave(reason, { text }, `rename “${reason.text}” to “${text}”`));
    if (!message) {
      setDraft(undefined);
      draftOver.current = undefined;
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      void commitText();
    } else if (event.key === 'Escape' && draft !== undefined) {
      setDraft(undefined);
      draftOver.current = undefined;
      setError(undefined);
    }
  };

  return (
    <li
      ref={rowRef}
      className={`reason${enabled ? '' : ' disabled'}${isDragging ? ' dragging' : ''}`}
      {...rowPlace(index, of)}
      style={{ top, transform: CSS.Translate.toString(transform), transition }}
      data-id={reason.id}
      aria-busy={busy || undefined}
    >
      <button type="button" className="handle" ref={setActivatorNodeRef} {...attributes} {...listeners} aria-label={`Move “${reason.text}”`}>
        <span aria-hidden="true">⠿</span>
      </button>
      <input
        className="text"
        value={draft ?? reason.text}
        aria-label={`Text of “${reason.text}”`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        maxLength={127}
        onChange={(e) => {
          if (draft === undefined) draftOver.current = reason.text;
          setDraft(e.target.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => void commitText()}
      />
      <select
        className={`state state-${state}`}
        value={state}
        aria-label={`State of “${reason.text}”`}
        onChange={(e) => {
          const next = e.target.value as State;
          setPending((shown) => ({ ...shown, state: next }));
          void run(() => onSave(reason, { state: next }, `“${reason.text}” to ${STATE_LABEL[next]}`));
        }}
      >
        {STATES.map((state) => (
          <option key={state} value={state}>
            {STATE_LABEL[state]}
          </option>
        ))}
      </select>
      <label className="choice enabled">
        <input
          type="checkbox"
          checked={enabled}
          // The visible word first (label in name), then which reason: every row's checkbox would otherwise be just "Enabled".
          aria-label={`Enabled: “${reason.text}”`}
          onChange={(e) => {
            const next = e.target.checked;
            setPending((shown) => ({ ...shown, enabled: next }));
            void run(() => onSave(reason, { enabled: next }, `${next ? 'enable' : 'disable'} “${reason.text}”`));
          }}
        />{' '}
        Enabled
      </label>
      <button type="button" className="delete" aria-label={`Delete “${reason.text}”`} onClick={() => void run(() => onDelete(reason))}>
        Delete
      </button>
      {error && (
        <p className="row-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </li>
  );
});

export function DeletedReasons({ reasons, canWrite, onRestore }: { reasons: Reason[]; canWrite: boolean; onRestore: (reason: Reason) => Promise<string | undefined> }) {
  const [errors, setErrors] = useState<Record<number, string>>({});
  return (
    <section aria-labelledby="deleted-title" className="deleted-section">
      <h2 id="deleted-title">Deleted ({reasons.length})</h2>
      {reasons.length === 0 ? (
        <p className="placeholder">No deleted reasons.</p>
      ) : (
        <ul className="reasons deleted">
          {reasons.map((reason) => (
            <li key={reason.id} className="reason" data-id={reason.id}>
              <span className="text">{reason.text}</span>
              <StateTag state={reason.state} />
              {canWrite && (
                <button
                  type="button"
                  aria-label={`Restore “${reason.text}”`}
                  onClick={async () => {
                    const message = await onRestore(reason);
                    setErrors((shown) => ({ ...shown, [reason.id]: message ?? '' }));
                  }}
                >
                  Restore
                </button>
              )}
              {errors[reason.id] && (
                <p className="row-error" role="alert">
                  {errors[reason.id]}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function StateTag({ state }: { state: State }) {
  return <span className={`state-tag state-${state}`}>{STATE_LABEL[state]}</span>;
}
