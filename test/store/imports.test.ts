// The store's import rules, read from its source: it speaks DynamoDB and
// nothing else, so a store module imports only its own folder, the domain,
// Node's built-ins and the AWS SDK's DynamoDB packages, never a room above it
// (entry points, adapters, platform); and no two store modules import each
// other, directly or around a circle.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const storeDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../functions/store');
/** The composition root, which wires the store's events to logs and metrics: it belongs with the entry points. */
const COMPOSITION_ROOT = 'from-env.ts';

/** Every module specifier a file imports or re-exports (static, type-only included). */
function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    specifiers.push((match[1] ?? match[2])!);
  }
  return specifiers;
}

/** The store's files and, for each, the store files it imports. */
function storeGraph(): Map<string, { imports: string[]; internal: string[] }> {
  const graph = new Map<string, { imports: string[]; internal: string[] }>();
  for (const file of readdirSync(storeDir).filter((name) => name.endsWith('.ts'))) {
    const imports = importsOf(readFileSync(join(storeDir, file), 'utf8'));
    const internal = imports.filter((s) => s.startsWith('./')).map((s) => relative(storeDir, resolve(storeDir, s)).replace(/\.js$/, '.ts'));
    graph.set(file, { imports, internal });
  }
  return graph;
}

/** A circle of imports, as the files along it, or undefined when there is none. */
function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const allowed = (specifier: string) =>
  /^\.\/[\w-]+\.js$/.test(specifier) || /^\.\.\/domain\/[\w-]+\.js$/.test(specifier) || specifier.startsWith('node:') || /^@aws-sdk\/(lib-dynamodb|client-dynamodb)$/.test(specifier);

describe('the store’s imports', () => {
  it('reads imports as they are written here', () => {
    const source = ["import { a } from './a.js';", "import type { B } from '../domain/b.js';", "export { c } from './c.js';", "import 'node:zlib';", 'import {', '  d,', "} from './d.js';"].join('\n');
    expect(importsOf(source)).toEqual(['./a.js', '../domain/b.js', './c.js', 'node:zlib', './d.js']);
  });

  it('finds a circle, and finds none where there is none', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeUndefined();
  });

  it('imports only its own folder, the domain, Node and the DynamoDB SDK', () => {
    const graph = storeGraph();
    expect(graph.size).toBeGreaterThan(5);
    const outside = [...graph]
      .filter(([file]) => file !== COMPOSITION_ROOT)
      .flatMap(([file, { imports }]) => imports.filter((s) => !allowed(s)).map((s) => `${file} imports ${s}`));
    expect(outside).toEqual([]);
  });

  it('has no circle among its files', () => {
    const graph = storeGraph();
    const edges = new Map([...graph].map(([file, { internal }]) => [file, internal]));
    for (const targets of edges.values()) for (const target of targets) expect(graph.has(target), target).toBe(true);
    expect(findCycle(edges)).toBeUndefined();
  });

  it('keeps its facade a leaf: no store module imports it', () => {
    const graph = storeGraph();
    const importers = [...graph].filter(([file, { internal }]) => file !== COMPOSITION_ROOT && internal.includes('dynamo-store.ts')).map(([file]) => file);
    expect(importers).toEqual([]);
  });
});
