// The first typed client's module, kept so that existing imports keep working:
// everything lives in ./status-reasons.ts, which has a function per action.
export {
  createStatusReasons,
  StatusReasonsError,
  type CreateStatusReasonsInput,
  type CreateStatusReasonsOutput,
  type FieldError,
  type InvokeErrorType,
  type NewStatusReason,
  type StatusReason,
  type StatusReasonsErrorType,
} from './status-reasons.js';
