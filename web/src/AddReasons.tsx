import { useId, useRef, useState, type FormEvent } from 'react';
import { STATE_LABEL, STATES, type Reason, type ReasonList, type State } from './api.js';
import { useAnnounce } from './announcer.js';
import { lineErrors, linesOf, type LineError } from './model.js';
import type { WriteOutcome } from './ReasonsPage.js';

/** The API takes at most this many reasons in one create. */
const BATCH = 100;

interface Props {
  create: (items: { text: string; state: State }[]) => Promise<WriteOutcome<ReasonList>>;
}

export function AddReasons({ create }: Props) {
  const [value, setValue] = useState('');
  const [state, setState] = useState<State>('Away');
  const [errors, setErrors] = useState<LineError[]>([]);
  const [pending, setPending] = useState(false);
  const announce = useAnnounce();
  const textId = useId();
  const stateId = useId();
  const hintId = useId();
  const errorsId = useId();
  const box = useRef<HTMLTextAreaElement>(null);
  // The Add button is disabled while it works, which drops the focus: give it to the box (its errors or a fresh start).
  const done = () => {
    setPending(false);
    if (!document.activeElement || document.activeElement === document.body) box.current?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { texts, lineOf } = linesOf(value);
    if (texts.length === 0) {
      setErrors([{ line: 0, text: '', message: 'Type at least one reason, one per line.' }]);
      return;
    }
    setPending(true);
    setErrors([]);
    const created: Reason[] = [];
    // Over 100 lines go in batches of 100, each its own write; what is not created stays in the box.
    for (let start = 0; start < texts.length; start += BATCH) {
      const batch = texts.slice(start, start + BATCH);
      const outcome = await create(batch.map((text) => ({ text, state })));
      if (!outcome.ok) {
        // The box keeps what was not created: as typed when nothing was, else the remaining lines (numbered anew).
        let lines = lineOf.slice(start, start + BATCH);
        if (start > 0) {
          setValue(texts.slice(start).join('\n'));
          lines = batch.map((_, i) => i + 1);
        }
        if (outcome.error) {
          setErrors(lineErrors(outcome.error.errors.length ? outcome.error.errors : [{ path: '', message: outcome.error.message }], lines, batch));
        }
        done();
        if (created.length) announce(`Added ${created.length} reasons; the rest were not added.`);
        return;
      }
      created.push(...outcome.result.items);
    }
    setValue('');
    done();
    announce(created.length === 1 ? `Added “${created[0]!.text}”.` : `Added ${created.length} reasons.`);
  };

  return (
    <section className="card add" aria-labelledby="add-title">
      <h2 id="add-title">Add reasons</h2>
      <form onSubmit={submit}>
        <label htmlFor={textId}>New reasons, one per line</label>
        <p id={hintId} className="hint">
          New reasons go to the top of the list. Up to 127 characters each; each text must be unique.
        </p>
        <textarea
          id={textId}
          ref={box}
          value={value}
          rows={Math.min(8, Math.max(3, value.split('\n').length + 1))}
          onChange={(e) => setValue(e.target.value)}
          aria-describedby={errors.length ? `${hintId} ${errorsId}` : hintId}
          aria-invalid={errors.length ? true : undefined}
          placeholder={'Lunch\nTraining\nTeam meeting'}
        />
        {errors.length > 0 && (
          <div role="alert">
          <ul id={errorsId} className="line-errors" aria-label="Not added">
            {errors.map((error, i) => (
              <li key={i} data-line={error.line}>
                {error.line > 0 ? (
                  <>
                    <strong>Line {error.line}</strong> (“{error.text}”): {error.message}
                  </>
                ) : (
                  error.message
                )}
              </li>
            ))}
          </ul>
          </div>
        )}
        <div className="add-actions">
          <label htmlFor={stateId}>State</label>
          <select id={stateId} value={state} onChange={(e) => setState(e.target.value as State)}>
            {STATES.map((option) => (
              <option key={option} value={option}>
                {STATE_LABEL[option]}
              </option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? 'Adding…' : 'Add'}
          </button>
        </div>
      </form>
    </section>
  );
}
