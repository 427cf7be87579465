import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type ScreenReaderInstructions,
  type UniqueIdentifier,
} from '@dnd-kit/core';
import { restrictToVerticalAxis } from './restrict.js';
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { memo, useCallback, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { STATE_LABEL, STATES, type Reason, type State } from './api.js';
import { moveInWhole } from './model.js';

type Save = (reason: Reason, fields: Partial<Pick<Reason, 'text' | 'state' | 'enabled'>>, what: string) => Promise<string | undefined>;

interface ListProps {
  reasons: Reason[];
  /** Every non-deleted reason's id in order (the view may be filtered). */
  wholeIds: number[];
  canWrite: boolean;
  onSave: Save;
  onDelete: (reason: Reason) => Promise<string | undefined>;
  onReorder: (ids: number[], moved: Reason, position: number, of: number) => Promise<void>;
}

const instructions: ScreenReaderInstructions = {
  draggable: 'To move a reason, press Space or Enter on its handle, then the up and down arrow keys to move it, Space or Enter to drop it there, or Escape to cancel.',
};

export function ReasonList(props: ListProps) {
  return props.canWrite ? <SortableReasons {...props} /> : <ReadOnlyReasons reasons={props.reasons} />;
}

function ReadOnlyReasons({ reasons }: { reasons: Reason[] }) {
  return (
    <ol className="reasons" aria-label="Status reasons">
      {reasons.map((reason) => (
        <li key={reason.id} className={`reason${reason.enabled ? '' : ' disabled'}`} data-id={reason.id}>
          <span className="text">{reason.text}</span>
          <StateTag state={reason.state} />
          <span className="enabled-label">{reason.enabled ? 'Enabled' : 'Disabled'}</span>
        </li>
      ))}
    </ol>
  );
}

function SortableReasons({ reasons, wholeIds, onSave, onDelete, onReorder }: ListProps) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const ids = useMemo(() => reasons.map((reason) => reason.id), [reasons]);
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

  const onDragEnd = useCallback(({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    const { reasons: shown, ids: shownIds, wholeIds: whole, onReorder: reorder } = latest.current;
    const from = shownIds.indexOf(Number(active.id));
    const to = shownIds.indexOf(Number(over.id));
    const moved = shown[from];
    if (!moved || to < 0) return;
    void reorder(moveInWhole(whole, moved.id, Number(over.id), to > from), moved, to + 1, shownIds.length);
  }, []);

  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} modifiers={[restrictToVerticalAxis]} onDragEnd={onDragEnd} accessibility={{ announcements, screenReaderInstructions: instructions }}>
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        <ol className="reasons" aria-label="Status reasons">
          {reasons.map((reason) => (
            <SortableRow key={reason.id} reason={reason} onSave={onSave} onDelete={onDelete} />
          ))}
        </ol>
      </SortableContext>
    </DndContext>
  );
}

const SortableRow = memo(function SortableRow({ reason, onSave, onDelete }: { reason: Reason; onSave: Save; onDelete: (reason: Reason) => Promise<string | undefined> }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: reason.id });
  const [draft, setDraft] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // A state or enabled change shows at once; the row goes back to the stored value if the write is refused.
  const [pending, setPending] = useState<Partial<Pick<Reason, 'state' | 'enabled'>>>({});
  const state = pending.state ?? reason.state;
  const enabled = pending.enabled ?? reason.enabled;
  const errorId = useId();
  const saving = useRef(false);

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
    if (!text) {
      setError('A reason needs a text. Press Escape to keep the old one.');
      return;
    }
    const message = await run(() => onSave(reason, { text }, `rename “${reason.text}” to “${text}”`));
    if (!message) setDraft(undefined);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      void commitText();
    } else if (event.key === 'Escape' && draft !== undefined) {
      setDraft(undefined);
      setError(undefined);
    }
  };

  return (
    <li
      ref={setNodeRef}
      className={`reason${enabled ? '' : ' disabled'}${isDragging ? ' dragging' : ''}`}
      style={{ transform: CSS.Translate.toString(transform), transition }}
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
        onChange={(e) => setDraft(e.target.value)}
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
