// The route a request names, as every HTTP adapter and the entry point read it.
import type { HttpEvent } from './types.js';

/** The request's path without the stage prefix API Gateway keeps in `rawPath` for a named stage. */
export function routedPath(event: HttpEvent): string {
  const path = event.rawPath ?? '/';
  const stage = event.requestContext?.stage;
  return stage && stage !== '$default' && path.startsWith(`/${stage}/`) ? path.slice(stage.length + 1) : path;
}
