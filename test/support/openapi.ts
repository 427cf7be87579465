// Checks real answers against the committed OpenAPI document: the status must
// be one the operation documents, the body must validate against the documented
// schema (ajv, JSON Schema 2020-12), documented headers must match their schema.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { OPENAPI_FILE } from '../../infra/openapi.js';

export const openApiDocument = (): any => JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));

const DOC_ID = 'https://openapi.local/openapi.json';
const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export interface OpenApiChecker {
  /** Asserts that the answer to `method template` is one the document describes. */
  check(method: string, template: string, answer: Answer): void;
  /** Documented `method template status` triples no checked answer has had yet. */
  unseen(): string[];
}

export function openApiChecker(doc: any = openApiDocument()): OpenApiChecker {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  // The document's top-level members are not JSON Schema keywords: let ajv hold
  // the document whole, so that every `#/components/...` reference resolves.
  for (const keyword of Object.keys(doc)) ajv.addKeyword({ keyword });
  ajv.addSchema(doc, DOC_ID);
  const validators = new Map<string, ValidateFunction>();
  const seen = new Set<string>();

  const validatorFor = (path: string): ValidateFunction => {
    let validate = validators.get(path);
    if (!validate) validators.set(path, (validate = ajv.compile({ $ref: `${DOC_ID}#/${path}` })));
    return validate;
  };

  return {
    check(method, template, answer) {
      const operation = doc.paths?.[template]?.[method.toLowerCase()];
      expect(operation, `${method} ${template} is not in the document`).toBeDefined();
      const response = operation.responses[String(answer.status)];
      expect(response, `${method} ${template} answered ${answer.status}, which the document does not list: ${answer.text.slice(0, 300)}`).toBeDefined();
      seen.add(`${method.toUpperCase()} ${template} ${answer.status}`);

      const schema = response.content?.['application/json']?.schema;
      if (schema === undefined) {
        expect(answer.text, `${method} ${template} ${answer.status} documents no body`).toBe('');
      } else {
        expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
        const validate = validatorFor(pointer('paths', template, method.toLowerCase(), 'responses', String(answer.status), 'content', 'application/json', 'schema'));
        const valid = validate(JSON.parse(answer.text));
        expect(valid, `${method} ${template} ${answer.status}: ${ajv.errorsText(validate.errors)} in ${answer.text.slice(0, 300)}`).toBe(true);
      }
      for (const [name, header] of Object.entries<any>(response.headers ?? {})) {
        const value = answer.headers.get(name);
        if (value !== null && header.schema?.pattern) expect(value, `${method} ${template} ${answer.status} header ${name}`).toMatch(new RegExp(header.schema.pattern, 'u'));
      }
    },
    unseen() {
      const out: string[] = [];
      for (const [template, item] of Object.entries<any>(doc.paths)) {
        for (const [method, operation] of Object.entries<any>(item)) {
          if (method === 'parameters') continue;
          for (const status of Object.keys(operation.responses)) {
            const key = `${method.toUpperCase()} ${template} ${status}`;
            if (!seen.has(key)) out.push(key);
          }
        }
      }
      return out;
    },
  };
}
