// `npm run openapi`: writes the LivePerson API's OpenAPI document (built from
// the handler's zod schemas by functions/adapters/liveperson/openapi.ts) to openapi.json.
// test/adapters/liveperson/openapi.test.ts fails when the committed file is not what
// this writes now.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../functions/adapters/liveperson/openapi.js';

/** Where the committed document lives: the repository root. */
export const OPENAPI_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'openapi.json');

/** The file's exact text: two-space JSON and a final newline. */
export const openApiText = (): string => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;

// Run as a script (not imported by a test): write the file.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_FILE, openApiText());
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}\n`);
}
