// Shared by the infra tests: build the stack in a fresh App around a tiny
// fixture handler, so these tests do not depend on the real handler's code.
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { AgentStatusReasonsStack, type AgentStatusReasonsStackProps } from '../../infra/stack.js';

export const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));

/** Bundling (esbuild) runs while the stack is built: allow for a slow machine. */
export const BUILD_TIMEOUT_MS = 120_000;

export function buildStack(
  props: AgentStatusReasonsStackProps = {},
  context: Record<string, unknown> = {},
): { app: App; stack: AgentStatusReasonsStack } {
  // No stack is bundled: these tests read the template, not the code (synth.test.ts and nag.test.ts bundle).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new AgentStatusReasonsStack(app, 'AgentStatusReasons', { entry: FIXTURE_ENTRY, ...props });
  return { app, stack };
}
