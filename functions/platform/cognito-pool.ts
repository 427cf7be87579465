// Names the stack's Cognito pool and the functions that serve it must agree
// on: the pre-token trigger (functions/entry/pre-token-generation.ts), the
// Lambda authorizer (functions/entry/authorizer.ts) and the CDK constructs
// that configure them (infra/constructs/identity.ts, authorizer.ts).
// Constants only, no imports: the CDK app imports this without pulling in a
// function's runtime (logger, SDK clients, jose).

/** The pool's custom attribute that names a console user's account (only an administrator sets it). */
export const USER_ACCOUNT_ATTRIBUTE_NAME = 'account';
/** The same attribute as Cognito names it in a user's attributes (`custom:` + its name). */
export const USER_ACCOUNT_ATTRIBUTE = `custom:${USER_ACCOUNT_ATTRIBUTE_NAME}`;

/** The trigger's environment variable naming the group whose members keep the write scope. */
export const WRITER_GROUP_ENV = 'WRITER_GROUP';
export const DEFAULT_WRITER_GROUP = 'status-reasons-admins';

/** The authorizer's environment variable: the issuer it accepts (the pool's `https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
export const TOKEN_ISSUER_ENV = 'TOKEN_ISSUER';
