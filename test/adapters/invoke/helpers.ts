// A real LambdaClient whose Invoke is short-circuited (like Lambda would: JSON
// in, JSON out) into a function running in this process.
import { LambdaClient, type InvokeCommandInput } from '@aws-sdk/client-lambda';

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
