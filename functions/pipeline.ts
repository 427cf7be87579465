// Where every adapter's middy pipeline starts (LivePerson, Connect, direct invoke).
import middy from '@middy/core';

/**
 * A middy pipeline without middy's early timeout. By default middy answers
 * (with an error) a few ms before the Lambda's time runs out while the handler
 * is still running: a write could then commit after its caller was told it
 * failed. The Lambda's own timeout still bounds a request, and the store stops
 * writing well before its lease (which outlasts that timeout) runs out.
 */
export const pipeline = <TEvent, TResult>() => middy<TEvent, TResult>({ timeoutEarlyInMillis: 0 });
