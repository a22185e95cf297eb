/**
 * OpenAPI 3.1 generated from the route registry: the same zod schemas that validate requests
 * describe them here (JSON Schema 2020-12, which OpenAPI 3.1 uses), so the document is always the
 * API. Also a plain HTML page of it for humans, with no external assets.
 */
import { z } from 'zod';
import { PROBLEM_STATUSES } from './problem.ts';
import type { Route } from './route.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  delete out['$schema'];
  return out;
}

function shapeOf(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  return schema instanceof z.ZodObject ? (schema.shape) : {};
}

function parameters(route: Route): unknown[] {
  const path = Object.entries(shapeOf(route.params)).map(([name, schema]) => ({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') }));
  const query = Object.entries(shapeOf(route.query)).map(([name, schema]) => ({
    name, in: 'query', required: !schema.safeParse(undefined).success, schema: jsonSchema(schema, 'input'),
  }));
  const headers = route.idempotencyKey === 'required'
    ? [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 255 }, description: 'Replays return the first response; another body with the same key is 422; a key in flight is 409' }]
    : [];
  return [...path, ...query, ...headers];
}

const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'requestId'],
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' },
    code: { type: 'string', enum: Object.keys(PROBLEM_STATUSES), description: 'Stable error code' },
    detail: { type: 'string' }, requestId: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' } } } },
  },
};

function operation(route: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = { description: response.description, ...(response.schema === undefined ? {} : { content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } } }) };
  }
  responses['default'] = { description: 'A problem (RFC 9457) with a stable code', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  return {
    operationId: route.operationId, summary: route.summary, ...(route.description === undefined ? {} : { description: route.description }),
    tags: [route.tag], security: [{ bearer: [] }], 'x-palier-credentials': route.principals,
    parameters: parameters(route),
    ...(route.body === undefined ? {} : { requestBody: { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }),
    ...(route.streamBody === undefined ? {} : {
      requestBody: { required: true, description: `${route.streamBody.description}, at most ${route.streamBody.bytesMax} bytes`, content: { [route.streamBody.mediaType]: { schema: { type: 'string' } } } },
    }),
    responses,
  };
}

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Palier API', version: '1',
      description: 'Metered pay-per-minute assistance billing: quotes with a price announcement, consent with a cap, metered sessions, charges on the subscriber\'s bill, refunds. Amounts are decimal strings in major units. Errors are RFC 9457 problems with a stable `code`.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key (operator or merchant), a session\'s user token, or a quote token' } },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The human page: every operation with who may call it and its schemas. */
export function apiDocsPage(routes: readonly Route[]): string {
  const sections = routes.map((route) => {
    const op = operation(route);
    return `<section id="${escapeHtml(route.operationId)}"><h2><code>${route.method.toUpperCase()} ${escapeHtml(route.path)}</code></h2>
<p>${escapeHtml(route.summary)}</p>${route.description === undefined ? '' : `<p>${escapeHtml(route.description)}</p>`}
<p><strong>Credentials:</strong> ${route.principals.map(escapeHtml).join(', ')}${route.idempotencyKey === 'required' ? ' · <strong>Idempotency-Key</strong> required' : ''}</p>
<details><summary>Parameters, body and responses</summary><pre>${escapeHtml(JSON.stringify({ parameters: op['parameters'], requestBody: op['requestBody'], responses: op['responses'] }, null, 2))}</pre></details></section>`;
  }).join('\n');
  const problems = Object.entries(PROBLEM_STATUSES).map(([code, status]) => `<tr><td><code>${code}</code></td><td>${status}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Palier API</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}h2{font-size:1.1rem}</style></head>
<body><h1>Palier API v1</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Amounts are decimal strings; errors are problem+json with a stable <code>code</code>.</p>
${sections}<h2>Problem codes</h2><table><tr><th>code</th><th>status</th></tr>${problems}</table></body></html>`;
}
