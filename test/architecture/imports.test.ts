// The import rules of functions/: data flows down, from the entry points through
// the adapters to the domain and the store, and no room reaches into one above
// it or into a sibling adapter. Each room's main file states its rule in its
// opening comment ("Room: ... May import: ..."); this test holds the code and
// the comments to the table below, and finds any circle between files.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { LAMBDA_BUNDLE, LAMBDA_BUNDLE_EXTERNALS } from '../../infra/bundling.js';
import { describe, expect, it } from 'vitest';

const FUNCTIONS = path.resolve(import.meta.dirname, '../../functions');

interface Room {
  /** Its folder under functions/. */
  folder: string;
  /** The file whose opening comment states the room's rule. */
  main: string;
  /** Rooms it may import besides its own. */
  mayImport: string[];
}

const ROOMS: Room[] = [
  { folder: 'entry', main: 'http.ts', mayImport: ['adapters/liveperson', 'adapters/connect', 'adapters/invoke', 'domain', 'store', 'platform', 'aws'] },
  { folder: 'adapters/liveperson', main: 'liveperson.ts', mayImport: ['domain', 'platform'] },
  { folder: 'adapters/connect', main: 'connect.ts', mayImport: ['domain', 'platform'] },
  { folder: 'adapters/invoke', main: 'invoke.ts', mayImport: ['domain', 'platform'] },
  { folder: 'client', main: 'status-reasons.ts', mayImport: ['domain', 'adapters/invoke/protocol.ts'] },
  { folder: 'platform', main: 'pipeline.ts', mayImport: ['domain', 'store/events.ts', 'aws'] },
  { folder: 'store', main: 'dynamo-store.ts', mayImport: ['domain', 'aws'] },
  { folder: 'domain', main: 'status-reasons.ts', mayImport: [] },
  { folder: 'aws', main: 'json-client.ts', mayImport: [] },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const relative = (file: string) => path.relative(FUNCTIONS, file).split(path.sep).join('/');

/** Every relative import of a file (static, type-only, re-exports and dynamic), resolved to a path under functions/. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((ref) => ref.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(path.resolve(path.dirname(file), name.replace(/\.js$/, '.ts'))));
}

const roomOf = (file: string): Room | undefined =>
  ROOMS.filter((room) => file.startsWith(`${room.folder}/`)).sort((a, b) => b.folder.length - a.folder.length)[0];

const allowed = (room: Room, target: string): boolean =>
  target.startsWith(`${room.folder}/`) || room.mayImport.some((entry) => (entry.endsWith('.ts') ? target === entry : target.startsWith(`${entry}/`)));

const files = sourceFiles(FUNCTIONS).map(relative).sort();
const graph = new Map(files.map((file) => [file, importsOf(path.join(FUNCTIONS, file))]));

describe('the layout of functions/', () => {
  it('has every file in a room', () => {
    expect(files.filter((file) => !roomOf(file))).toEqual([]);
  });

  it('imports only files that exist under functions/', () => {
    const outside = [...graph].flatMap(([file, targets]) => targets.filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`));
    expect(outside).toEqual([]);
  });

  it('lets each room import only itself and the rooms its rule names', () => {
    const broken = [...graph].flatMap(([file, targets]) => {
      const room = roomOf(file)!;
      return targets.filter((target) => !allowed(room, target)).map((target) => `${file} -> ${target}`);
    });
    expect(broken).toEqual([]);
  });

  it('states each room\'s rule in the opening comment of its main file', () => {
    for (const room of ROOMS) {
      const text = readFileSync(path.join(FUNCTIONS, room.folder, room.main), 'utf8');
      const opening = text.slice(0, text.search(/^(import|export)\b/m));
      expect(opening, `${room.folder}/${room.main}`).toContain(`Room: functions/${room.folder}/.`);
      const stated = /May import: (.*?)\.(?:\s|$)/.exec(opening.replace(/\n\/\/ ?/g, ' '))?.[1];
      const expected = room.mayImport.length ? room.mayImport.join(', ') : 'nothing else';
      expect(stated, `${room.folder}/${room.main}`).toBe(expected);
    }
  });

  it('has no circle between files', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target].join(' -> '));
        else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});

// The CDK app runs no function: what it takes from functions/ are names and rules (constants, schemas),
// never an entry point or the runtime (the logger, which reads its environment when loaded).
const REPO = path.resolve(import.meta.dirname, '../..');

/** Every file under the repository that `start` reaches through relative imports. */
function reachableFrom(start: string): string[] {
  const seen = new Set<string>();
  const pending = [start];
  while (pending.length) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of importedFiles) if (ref.fileName.startsWith('.')) pending.push(path.resolve(path.dirname(file), ref.fileName.replace(/\.js$/, '.ts')));
  }
  return [...seen].map((file) => path.relative(REPO, file).split(path.sep).join('/')).sort();
}

describe('the CDK app (infra/app.ts)', () => {
  it('imports no entry point of functions/ and none of their runtime', () => {
    const reached = reachableFrom(path.join(REPO, 'infra/app.ts'));
    expect(reached).toContain('functions/platform/cognito-pool.ts');
    expect(reached.filter((file) => file.startsWith('functions/entry/') || file === 'functions/platform/logger.ts' || file === 'functions/platform/metrics.ts')).toEqual([]);
  });
});

// The functions on a request's path call AWS through functions/aws/, not the SDK's service clients,
// which cost a cold start most of its bundle and import (docs/performance.md, "Cold start").
describe('the bundles of the functions that answer requests', () => {
  const SDK_CLIENT = /node_modules\/(@aws-sdk\/(client-[^/]+|lib-dynamodb|credential-provider[^/]*)|@smithy\/(smithy-client|middleware-[^/]+))\//;
  it.each(['http.ts', 'invoke.ts', 'authorizer.ts', 'pre-token-generation.ts'])('%s holds no SDK service client, document client or credential chain', async (entry) => {
    const { metafile } = await build({
      entryPoints: [path.join(FUNCTIONS, 'entry', entry)],
      bundle: true,
      write: false,
      outdir: 'out',
      platform: 'node',
      format: 'esm',
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      external: [...LAMBDA_BUNDLE_EXTERNALS],
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(metafile.inputs).filter((input) => SDK_CLIENT.test(input))).toEqual([]);
  });
});
