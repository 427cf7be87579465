// A real LambdaClient whose Invoke is short-circuited (like Lambda would: JSON
// in, JSON out) into a function running in this process.
import { LambdaClient, type InvokeCommandInput } from '@aws-sdk/client-lambda';
import { expect } from 'vitest';
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

/** The invoke function on a fresh test table, and a LambdaClient whose Invoke runs it in process. */
export async function invokeOnTestTable(seen: Seen): Promise<{ handler: InvokeEntry; lambda: LambdaClient }> {
  const store = (await createTestTable()).store();
  const handler = createInvokeEntry(() => store);
  return { handler, lambda: lambdaRunning((event) => handler(event, lambdaContext()), seen) };
}

/** The JSON payload the client last sent. */
export const sentPayloadOf = (seen: Seen) => JSON.parse(new TextDecoder().decode(seen.input!.Payload as Uint8Array));

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
