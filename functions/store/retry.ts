// Every DynamoDB call the store makes goes through `Calls.send`: one deadline
// per request, a time limit per attempt inside it, and retries with bounded
// exponential backoff and full jitter (AWS Architecture Blog, "Exponential
// Backoff And Jitter") for throttling, 5xx and lost answers. The client makes
// one attempt per call (functions/aws/; the SDK's retry quota, when the store
// used the SDK, ran dry in an error storm), and only the store knows whether a
// call is safe to send again and how to recognise its own applied-but-lost
// effect. An attempt cut for taking too
// long gives the next one twice the time (up to 4 times the first): an engine
// that is slow because it is queued still runs the cut attempt, and resending
// on the same short limit only lengthens its queue until no attempt ever gets
// through (seen on DynamoDB Local under a busy CI machine: 40 writers of one
// account all answered 503 after a minute).
import type { DocumentClient, DocumentCommand } from '../aws/dynamodb.js';
import { DeadlineExceeded, retryCause } from './errors.js';
import type { RetryCause, StoreEventListener } from './events.js';

export { DeadlineExceeded };

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const backoffDelay = (attempt: number, { baseMs, maxMs }: BackoffOptions, random: () => number = Math.random): number =>
  Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface CallOptions {
  /** The longest one attempt may take (the per-call deadline inside the request's). */
  attemptMs: number;
  backoff: BackoffOptions;
  /** Backoff after a throttle: DynamoDB needs longer to recover than from a lost packet. */
  throttleBackoff: BackoffOptions;
  onEvent: StoreEventListener;
  now: () => number;
}

/** A document command (their types do not unify; each call site knows its output). */
type Sendable = DocumentCommand<object, unknown>;

export class Calls {
  constructor(
    private readonly doc: DocumentClient,
    private readonly options: CallOptions,
  ) {}

  /**
   * Sends `command` until it gets a definite answer or `deadline` (epoch ms)
   * passes. A definite failure (a refused condition, a validation error) is
   * thrown as is: a conditional write sent again after a lost answer may be
   * refused by its own first attempt, and only the caller can tell (each
   * conditional write the store makes carries its writer's token for that).
   * Out of time (or out of `attempts`): DeadlineExceeded, saying whether any
   * attempt may have been applied.
   */
  async send<T>(operation: string, command: Sendable, deadline: number, { attempts = Infinity }: { attempts?: number } = {}): Promise<T> {
    const { now, onEvent } = this.options;
    let last: RetryCause | 'not-sent' = 'not-sent';
    // Sticky: once an attempt may have been applied, the call may have been, whatever later attempts say.
    let mayHaveApplied = false;
    let limit = this.options.attemptMs;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - now();
      if (left <= 0) throw new DeadlineExceeded(operation, last, mayHaveApplied);
      const signal = AbortSignal.timeout(Math.max(1, Math.min(limit, left)));
      try {
        return (await this.doc.send(command as never, { abortSignal: signal })) as T;
      } catch (error) {
        const cause = retryCause(error);
        if (!cause) throw error;
        last = cause;
        if (cause === 'no-answer' || cause === 'server-error') mayHaveApplied = true;
        if (signal.aborted) limit = Math.min(limit * 2, this.options.attemptMs * 4);
        if (attempt + 1 >= attempts) throw new DeadlineExceeded(operation, last, mayHaveApplied);
        onEvent({ type: 'retry', operation, cause, attempt: attempt + 1 });
        const wait = backoffDelay(Math.min(attempt, 8), cause === 'throttled' ? this.options.throttleBackoff : this.options.backoff);
        if (now() + wait >= deadline) throw new DeadlineExceeded(operation, last, mayHaveApplied);
        await sleep(wait);
      }
    }
  }
}
