// The typed client other Lambdas use to create status reasons by invoking the
// function directly (IAM decides who may invoke):
//
//   const lambda = new LambdaClient({});
//   const { revision, items } = await createStatusReasons(lambda, 'agent-status-reasons', {
//     accountId: '123', items: [{ text: 'Lunch', state: 'Away' }],
//   });
//
// Error answers, and failures of the function itself, throw a StatusReasonsError.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { FieldError } from '../domain/errors.js';
import type { ReasonState, StatusReason } from '../domain/status-reason.js';
import { CREATE_STATUS_REASONS, type CreateStatusReasonsPayload, type InvokeErrorType } from '../invoke/protocol.js';

export type { FieldError } from '../domain/errors.js';
export type { StatusReason } from '../domain/status-reason.js';
export type { InvokeErrorType } from '../invoke/protocol.js';

/** A status reason as a caller sends it (LivePerson's object). */
export interface NewStatusReason {
  text: string;
  state: ReasonState;
  enabled?: boolean;
  deleted?: boolean;
  order?: number;
  description?: string;
  tags?: Record<string, string>;
}

export interface CreateStatusReasonsInput {
  accountId: string;
  items: NewStatusReason[];
  /** The revision the caller last saw; refused with `RevisionConflict` when it is no longer current. */
  ifMatch?: string | number;
}

export interface CreateStatusReasonsOutput {
  revision: string;
  items: StatusReason[];
}

/**
 * What went wrong: one of the function's error types, or
 * `FunctionError` (the function itself failed: a crash, a timeout) or
 * `InvalidResponse` (the answer could not be read).
 */
export type StatusReasonsErrorType = InvokeErrorType | 'FunctionError' | 'InvalidResponse';

export class StatusReasonsError extends Error {
  constructor(
    readonly type: StatusReasonsErrorType,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'StatusReasonsError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parsePayload(payload: Uint8Array | undefined): unknown {
  const text = payload?.length ? new TextDecoder().decode(payload) : '';
  try {
    return JSON.parse(text);
  } catch {
    throw new StatusReasonsError('InvalidResponse', `The function's answer is not JSON: ${JSON.stringify(text.slice(0, 200))}.`);
  }
}

export async function createStatusReasons(
  lambdaClient: LambdaClient,
  functionName: string,
  input: CreateStatusReasonsInput,
): Promise<CreateStatusReasonsOutput> {
  const payload: CreateStatusReasonsPayload = {
    action: CREATE_STATUS_REASONS,
    accountId: input.accountId,
    items: input.items,
    ...(input.ifMatch !== undefined && { ifMatch: input.ifMatch }),
  };
  const out = await lambdaClient.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  const answer = parsePayload(out.Payload);

  if (out.FunctionError) {
    // Lambda's own error object: {"errorType": "...", "errorMessage": "..."}.
    const detail = isObject(answer) && typeof answer.errorMessage === 'string' ? `: ${answer.errorMessage}` : '';
    throw new StatusReasonsError('FunctionError', `The function ${functionName} failed (${out.FunctionError})${detail}`);
  }
  if (isObject(answer) && isObject(answer.error)) {
    const { type, message, errors } = answer.error;
    throw new StatusReasonsError(
      typeof type === 'string' ? (type as StatusReasonsErrorType) : 'InvalidResponse',
      typeof message === 'string' ? message : 'The function answered an error without a message.',
      Array.isArray(errors) ? (errors as FieldError[]) : [],
    );
  }
  if (!isObject(answer) || typeof answer.revision !== 'string' || !Array.isArray(answer.items)) {
    throw new StatusReasonsError('InvalidResponse', 'The function answered neither a result nor an error.');
  }
  return { revision: answer.revision, items: answer.items as StatusReason[] };
}
