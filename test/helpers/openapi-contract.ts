import { z } from 'zod';

/**
 * Checks HTTP responses against an OpenAPI 3.1 document: the route, status and content type must be
 * documented, and a JSON body must match the documented JSON Schema. The schemas are read by zod's
 * JSON Schema reader (`z.fromJSONSchema`, draft 2020-12, as OpenAPI 3.1 uses), from the document's
 * JSON alone: what is checked is the document, not the code that generated it.
 *
 * Stricter than the document on one point: an object that lists its properties may carry no other
 * (the generator leaves `additionalProperties` open), so an undocumented field fails the check.
 */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components?: { schemas?: Record<string, unknown> };
}

interface ResponseObject {
  description: string;
  content?: Record<string, { schema?: unknown }>;
}

export interface RecordedResponse {
  method: string;
  /** The request's path, without the query. */
  path: string;
  status: number;
  contentType: string | null;
  /** The text of the body. */
  body: string;
}

export class ContractChecker {
  readonly #document: OpenApiDocument;
  readonly #routes: { template: string; pattern: RegExp }[];
  readonly #validators = new Map<unknown, z.ZodType>();

  constructor(document: OpenApiDocument) {
    this.#document = document;
    this.#routes = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`,
      ),
    }));
  }

  /** The route template a path belongs to, or null when the document has none. */
  routeOf(path: string): string | null {
    return this.#routes.find((route) => route.pattern.test(path))?.template ?? null;
  }

  /** The problems of one response; empty when it conforms. */
  check(response: RecordedResponse): string[] {
    const where = `${response.method} ${response.path} → ${response.status}`;
    const template = this.routeOf(response.path);
    if (template === null) return [`${where}: the path is not documented`];
    const operation = this.#document.paths[template]?.[response.method.toLowerCase()];
    if (operation === undefined) return [`${where}: the method is not documented for ${template}`];
    const documented = operation.responses[String(response.status)];
    if (documented === undefined) {
      return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    }
    if (documented.content === undefined) {
      return response.body === '' ? [] : [`${where}: a body where none is documented`];
    }
    const mediaType = (response.contentType ?? '').split(';')[0]?.trim() ?? '';
    const media = documented.content[mediaType];
    if (media === undefined) {
      return [
        `${where}: content type ${mediaType || '(none)'} not documented (${Object.keys(documented.content).join(', ')})`,
      ];
    }
    if (mediaType !== 'application/json' || media.schema === undefined) return [];
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [`${where}: the body is not JSON`];
    }
    const result = this.#validator(media.schema).safeParse(body);
    return result.success
      ? []
      : [`${where}: the body does not match the documented schema: ${z.prettifyError(result.error)}`];
  }

  #validator(schema: unknown): z.ZodType {
    let validator = this.#validators.get(schema);
    if (validator === undefined) {
      const defs = Object.fromEntries(
        Object.entries(this.#document.components?.schemas ?? {}).map(([name, def]) => [name, closed(def)]),
      );
      validator = z.fromJSONSchema({ ...(closed(schema) as object), $defs: defs } as never, {
        defaultTarget: 'draft-2020-12',
      });
      this.#validators.set(schema, validator);
    }
    return validator;
  }
}

/**
 * A copy of a schema with `#/components/schemas/X` references pointing at `#/$defs/X`, and every
 * object that lists its properties closed to others.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') {
      copy[key] = value.replace('#/components/schemas/', '#/$defs/');
    } else if (
      key === 'example' ||
      key === 'examples' ||
      key === 'default' ||
      key === 'const' ||
      key === 'enum'
    ) {
      copy[key] = value;
    } else {
      copy[key] = closed(value);
    }
  }
  const types = Array.isArray(copy.type) ? copy.type : [copy.type];
  if (types.includes('object') && copy.properties !== undefined && copy.additionalProperties === undefined) {
    copy.additionalProperties = false;
  }
  return copy;
}
