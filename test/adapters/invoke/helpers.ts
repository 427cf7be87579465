// A real LambdaClient whose Invoke is short-circuited (like Lambda would: JSON
// in, JSON out) into a function running in this process.
import { LambdaClient, type InvokeCommandInput } from '@aws-sdk/client-lambda';
import { beforeAll, expect } from 'vitest';
import { StatusReasonsError, type StatusReasonsErrorType } from '../../../functions/client/status-reasons.js';
import { createInvokeEntry, type InvokeEntry } from '../../../functions/entry/invoke.js';
import { createTestTable } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';

export interface Seen {
  input?: InvokeCommandInput;
}

/** A LambdaClient whose InvokeCommand runs `fn` in process, answering the way Lambda does. */
export function lambdaRunning(fn: (event: unknown) => Promise<unknown>, seen: Seen = {}, rawAnswer?: string): LambdaClient {
  const lambda = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  lambda.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'InvokeCommand') return next(args);
      const input = args.input as InvokeCommandInput;
      seen.input = input;
      const event = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array));
      let body: string;
      let functionError: string | undefined;
      try {
        body = rawAnswer ?? JSON.stringify(await fn(event));
      } catch (error) {
        functionError = 'Unhandled';
        body = JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message, trace: ['at somewhere (index.mjs:1:1)'] });
      }
      const output = { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: new TextEncoder().encode(body), ...(functionError && { FunctionError: functionError }), $metadata: {} };
      return { output, response: {} } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'invokeInProcess' },
  );
  return lambda;
}

/**
 * Registers a beforeAll that puts the invoke function on a fresh table for this
 * test file. `lambda` is a LambdaClient whose Invoke runs it in process (usable
 * once that has run); `sentPayload` is the JSON payload the client last sent.
 */
export function invokeOnTestTable(): { handler: () => InvokeEntry; lambda: LambdaClient; sentPayload: () => unknown } {
  const seen: Seen = {};
  let handler: InvokeEntry | undefined;
  beforeAll(async () => {
    const store = (await createTestTable()).store();
    handler = createInvokeEntry(() => store);
  });
  const handlerNow = () => handler!;
  return {
    handler: handlerNow,
    lambda: lambdaRunning((event) => handlerNow()(event, lambdaContext()), seen),
    sentPayload: () => JSON.parse(new TextDecoder().decode(seen.input!.Payload as Uint8Array)),
  };
}

/** The typed error a client call fails with, checked to be of `type`. */
export async function failure(promise: Promise<unknown>, type: StatusReasonsErrorType): Promise<StatusReasonsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StatusReasonsError);
    expect((error as StatusReasonsError).type).toBe(type);
    return error as StatusReasonsError;
  }
  throw new Error('expected the call to fail');
}
