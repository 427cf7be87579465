import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { MiddyfiedHandler } from '@middy/core';

/** An API Gateway HTTP API (payload 2.0) event, plus what the middlewares learn from it. */
export type HttpEvent = Omit<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'> & {
  requestContext: Omit<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'], 'authorizer'> & {
    /** `jwt`: API Gateway's JWT authorizer's claims; `lambda`: the stack's Lambda authorizer's context (functions/entry/authorizer.ts). */
    authorizer?: Partial<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer']> & { lambda?: Record<string, unknown> };
  };
  /** The body as parsed JSON, set by `jsonBody`. */
  parsedBody?: unknown;
  /** The operation and path parameters the router matched. */
  route?: MatchedRoute;
};

export interface MatchedRoute {
  operation: string;
  params: Record<string, string>;
}

export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = MiddyfiedHandler<HttpEvent, HttpResult, Error, Context>;

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}
