// Room: functions/client/. The typed client other Lambdas call the invoke
// function with; it speaks the invoke adapter's wire protocol. May import:
// domain, adapters/invoke/protocol.ts.
//
// The typed client other Lambdas use to call the function directly (IAM decides
// who may invoke), one function per action:
//
//   const lambda = new LambdaClient({});
//   const { revision, items } = await createStatusReasons(lambda, 'agent-status-reasons', {
//     accountId: '123', items: [{ text: 'Lunch', state: 'Away' }],
//   });
//   const { item } = await getStatusReason(lambda, 'agent-status-reasons', { accountId: '123', id: items[0]!.id });
//
// Error answers, and failures of the function itself, throw a StatusReasonsError.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { FieldError } from '../domain/errors.js';
import type { ReasonState, StatusReason } from '../domain/status-reason.js';
import {
  CREATE_STATUS_REASONS,
  DELETE_STATUS_REASON,
  GET_STATUS_REASON,
  LIST_CHANGES,
  LIST_STATUS_REASONS,
  REORDER_STATUS_REASONS,
  REPLACE_STATUS_REASON,
  type ChangesResult,
  type InvokeAction,
  type InvokeErrorType,
  type InvokePayload,
  type InvokeResults,
  type StatusReasonResult,
  type StatusReasonsResult,
  type WriteFields,
} from '../adapters/invoke/protocol.js';

export type { FieldError } from '../domain/errors.js';
export type { StatusReason } from '../domain/status-reason.js';
export type { ChangesResult, InvokeErrorType, StatusReasonResult, StatusReasonsResult, WriteFields } from '../adapters/invoke/protocol.js';
export type { Change, ChangeEntry } from '../domain/changes.js';

/** A status reason as a caller sends it to create one (LivePerson's object). */
export interface NewStatusReason {
  text: string;
  state: ReasonState;
  enabled?: boolean;
  deleted?: boolean;
  order?: number;
  description?: string;
  tags?: Record<string, string>;
}

/** A replacement: `text` and `state` required; the other fields keep their stored values when absent. */
export interface StatusReasonReplacement extends NewStatusReason {
  /** If sent, must be the id being replaced. */
  id?: number;
}

export interface CreateStatusReasonsInput extends WriteFields {
  accountId: string;
  items: NewStatusReason[];
}
export type CreateStatusReasonsOutput = StatusReasonsResult;

export interface ListStatusReasonsInput {
  accountId: string;
  /** Also the deleted reasons. */
  includeDeleted?: boolean;
}

export interface GetStatusReasonInput {
  accountId: string;
  id: number;
  /** Answer a deleted reason too (otherwise it is NotFound). */
  includeDeleted?: boolean;
}

export interface ReplaceStatusReasonInput extends WriteFields {
  accountId: string;
  id: number;
  item: StatusReasonReplacement;
}

export interface DeleteStatusReasonInput extends WriteFields {
  accountId: string;
  id: number;
}

export interface ReorderStatusReasonsInput extends WriteFields {
  accountId: string;
  /** Every non-deleted reason's id, once each, in the wanted order. */
  ids: number[];
}

export interface ListChangesInput {
  accountId: string;
  /** The revision the caller holds the list at (default 0: every kept entry). */
  since?: number;
  /** At most this many entries, 1–100 (default 100). */
  limit?: number;
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
    /** HistoryGone: the oldest revision whose entry is kept (read the list again). */
    readonly oldestRevision?: number,
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

/** How each action's successful answer looks: a revision and `items`, or a revision and one `item`. */
const ANSWER_FIELD: Record<InvokeAction, 'items' | 'item' | 'changes'> = {
  createStatusReasons: 'items',
  listStatusReasons: 'items',
  getStatusReason: 'item',
  replaceStatusReason: 'item',
  deleteStatusReason: 'item',
  reorderStatusReasons: 'items',
  listChanges: 'changes',
};

/** Invokes the function with one action's payload and answers its result, or throws StatusReasonsError. */
async function invoke<A extends InvokeAction>(lambdaClient: LambdaClient, functionName: string, payload: InvokePayload & { action: A }): Promise<InvokeResults[A]> {
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
    const { type, message, errors, oldestRevision } = answer.error;
    throw new StatusReasonsError(
      typeof type === 'string' ? (type as StatusReasonsErrorType) : 'InvalidResponse',
      typeof message === 'string' ? message : 'The function answered an error without a message.',
      Array.isArray(errors) ? (errors as FieldError[]) : [],
      typeof oldestRevision === 'number' ? oldestRevision : undefined,
    );
  }
  const field = ANSWER_FIELD[payload.action];
  const shaped = isObject(answer) && typeof answer.revision === 'string' && (field === 'item' ? isObject(answer.item) : Array.isArray(answer[field]));
  if (!shaped) throw new StatusReasonsError('InvalidResponse', 'The function answered neither a result nor an error.');
  if (field === 'changes') return { revision: answer.revision, changes: answer.changes, more: answer.more === true } as unknown as InvokeResults[A];
  return { revision: answer.revision, [field]: answer[field] } as unknown as InvokeResults[A];
}

/** Only the fields a caller set: `undefined` ones are left out of the payload. */
const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/** Creates 1–100 reasons in one write (one revision); answers them in request order. */
export function createStatusReasons(lambdaClient: LambdaClient, functionName: string, input: CreateStatusReasonsInput): Promise<StatusReasonsResult> {
  return invoke(lambdaClient, functionName, defined({ action: CREATE_STATUS_REASONS, ...input }));
}

/** The account's reasons, sorted by order, then id. */
export function listStatusReasons(lambdaClient: LambdaClient, functionName: string, input: ListStatusReasonsInput): Promise<StatusReasonsResult> {
  return invoke(lambdaClient, functionName, defined({ action: LIST_STATUS_REASONS, ...input }));
}

/** One reason; NotFound when it does not exist, or is deleted and `includeDeleted` is not set. */
export function getStatusReason(lambdaClient: LambdaClient, functionName: string, input: GetStatusReasonInput): Promise<StatusReasonResult> {
  return invoke(lambdaClient, functionName, defined({ action: GET_STATUS_REASON, ...input }));
}

/**
 * Replaces one reason (as LivePerson's PUT); answers it as now stored. `item.deleted: true` soft-deletes a live
 * reason; on a deleted one, `item.deleted: false` restores it (Duplicate when its text is taken, LimitExceeded at
 * the cap); any other replacement of a deleted reason is NotFound.
 */
export function replaceStatusReason(lambdaClient: LambdaClient, functionName: string, input: ReplaceStatusReasonInput): Promise<StatusReasonResult> {
  return invoke(lambdaClient, functionName, defined({ action: REPLACE_STATUS_REASON, ...input }));
}

/** Soft-deletes one reason (its text becomes free); answers it as now stored. NotFound when unknown or already deleted. */
export function deleteStatusReason(lambdaClient: LambdaClient, functionName: string, input: DeleteStatusReasonInput): Promise<StatusReasonResult> {
  return invoke(lambdaClient, functionName, defined({ action: DELETE_STATUS_REASON, ...input }));
}

/**
 * Puts the account's non-deleted reasons in the order of `ids` (every one, once each) in one write: only the
 * reasons whose order must change are written. Answers the list as it is after (sorted by order, then id).
 */
export function reorderStatusReasons(lambdaClient: LambdaClient, functionName: string, input: ReorderStatusReasonsInput): Promise<StatusReasonsResult> {
  return invoke(lambdaClient, functionName, defined({ action: REORDER_STATUS_REASONS, ...input }));
}

/**
 * The change history after revision `since`, oldest first (at most `limit`): apply the entries to the list held at
 * `since` to hold the list at the last one's revision; `more` says another page follows. HistoryGone (with
 * `oldestRevision`) when `since` is older than what is kept: read the list again.
 */
export function listChanges(lambdaClient: LambdaClient, functionName: string, input: ListChangesInput): Promise<ChangesResult> {
  return invoke(lambdaClient, functionName, defined({ action: LIST_CHANGES, ...input }));
}
