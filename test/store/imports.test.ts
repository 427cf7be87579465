// The store speaks DynamoDB and nothing else: besides its own folder and the
// domain (test/architecture/imports.test.ts holds the rooms' rules and finds
// circles), a store module may import only Node's built-ins and the AWS SDK's
// DynamoDB clients, never a logger, a metrics library or another service's SDK.
// What it has to tell, it tells through its `onEvent` listener.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const STORE = path.resolve(import.meta.dirname, '../../functions/store');

/** The packages a source file imports (static, type-only, re-exports and dynamic): every specifier that is not relative. */
const packagesOf = (source: string): string[] =>
  ts
    .preProcessFile(source, true, true)
    .importedFiles.map((ref) => ref.fileName)
    .filter((name) => !name.startsWith('.'));

const allowed = (specifier: string) => specifier.startsWith('node:') || specifier === '@aws-sdk/lib-dynamodb' || specifier === '@aws-sdk/client-dynamodb';

describe('the store’s packages', () => {
  it('are read from the source as written', () => {
    const source = ["import { a } from './a.js';", "import type { L } from '@aws-lambda-powertools/logger';", "export { c } from 'node:zlib';", 'const m = await import("@aws-sdk/client-s3");'].join('\n');
    expect(packagesOf(source)).toEqual(['@aws-lambda-powertools/logger', 'node:zlib', '@aws-sdk/client-s3']);
  });

  it('are only Node’s built-ins and the DynamoDB clients', () => {
    const files = readdirSync(STORE).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    const others = files.flatMap((file) => packagesOf(readFileSync(path.join(STORE, file), 'utf8')).filter((s) => !allowed(s)).map((s) => `${file} imports ${s}`));
    expect(others).toEqual([]);
  });
});
