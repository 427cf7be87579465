// Room: functions/platform/. What every adapter and entry point shares: the
// middy pipeline and the request's deadline, the logger, metrics, the HTTP event
// types and middlewares, the machine-client constants, the NextToken secret. May import: domain,
// store/events.ts, aws.
//
// Where every adapter's middy pipeline starts (LivePerson, Connect, direct invoke).
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { RequestScope } from '../domain/store.js';
import { flushMetrics } from './metrics.js';

/**
 * A middy pipeline without middy's early timeout. By default middy answers
 * (with an error) a few ms before the Lambda's time runs out while the handler
 * is still running: a write could then commit after its caller was told it
 * failed. Instead the store gets a deadline (`requestScope`) and answers by it.
 * Its first middleware writes the invocation's metrics once everything else,
 * error answers included, has run.
 */
export const pipeline = <TEvent, TResult>() => middy<TEvent, TResult>({ timeoutEarlyInMillis: 0 }).use(flushMetrics<TEvent, TResult>());

/** Time kept back from the Lambda's remaining time: to answer, and for a call cut off at the deadline to be given up. */
export const ANSWER_MARGIN_MS = 750;

/** The request's scope for the store: its deadline comes from the Lambda's remaining time. */
export function requestScope(context: Context | undefined, now = Date.now()): RequestScope {
  const remaining = context?.getRemainingTimeInMillis?.();
  const budget = typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : 10_000;
  return { deadline: now + Math.max(0, budget - ANSWER_MARGIN_MS) };
}
