// The web UI's API client is typed by web/src/api/openapi.gen.ts, generated from the OpenAPI
// document: it must be what the document makes now (else `npm run web:api-types`).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, apiTypesSource } from '../scripts/web-api-types.js';

describe("the web UI's API types", () => {
  it('are generated from the current OpenAPI document (run `npm run web:api-types` if not)', async () => {
    expect(await readFile(API_TYPES_FILE, 'utf8')).toBe(await apiTypesSource());
  });
});
