// The Greenfield OpenAPI document (a part of BTCPay's, see NOTICE) as ajv validators: every
// operation's request body and responses, and the webhook payloads under `x-webhooks`.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

type Json = Record<string, unknown>;
export const document = JSON.parse(readFileSync(new URL('./greenfield-openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Json>>;
  'x-webhooks': Record<string, { post: Json }>;
  components: { schemas: Record<string, Json> };
};

/**
 * The document composes schemas with allOf whose members each say additionalProperties: false,
 * which, read literally, no object can satisfy (a member forbids the other members' fields);
 * BTCPay itself does not enforce it. Such members are relaxed; everything else is kept.
 */
function relaxAllOfMembers(doc: typeof document): void {
  const relax = (s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const schema = s as Json;
    if (typeof schema.$ref === 'string') return relax(doc.components.schemas[schema.$ref.split('/').pop()!]);
    if (schema.additionalProperties === false) delete schema.additionalProperties;
    if (Array.isArray(schema.allOf)) schema.allOf.forEach(relax);
  };
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (Array.isArray(n.allOf)) n.allOf.forEach(relax);
    Object.values(n).forEach(walk);
  };
  walk(doc);
}
relaxAllOfMembers(document);

const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true, logger: false });
ajv.addFormat('decimal', /^-?\d+(\.\d+)?$/);
ajv.addSchema(document, 'greenfield');

const pointer = (...parts: string[]) => `greenfield#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
const compiled = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (!v) compiled.set(ref, (v = ajv.compile({ $ref: ref })));
  return v;
}

export interface Problem { path: string; message: string }
const problems = (v: ValidateFunction): Problem[] => (v.errors ?? []).map((e) => ({ path: e.instancePath || '$', message: e.message ?? 'invalid' }));

/** The request body's problems for an operation (none when it takes no JSON body). */
export function requestProblems(path: string, method: string, body: unknown): Problem[] {
  const op = document.paths[path]?.[method] as { requestBody?: { content?: Record<string, unknown> } } | undefined;
  if (!op?.requestBody?.content?.['application/json']) return [];
  const v = validator(pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema'));
  return v(body) ? [] : problems(v);
}

/** A response's problems: its status must be documented for the operation, its body match. */
export function responseProblems(path: string, method: string, status: number, body: unknown): Problem[] {
  const responses = (document.paths[path]?.[method] as { responses?: Record<string, { content?: Record<string, unknown> }> } | undefined)?.responses ?? {};
  const r = responses[String(status)] ?? responses.default;
  if (!r) return [{ path: '$', message: `status ${status} is not documented for ${method.toUpperCase()} ${path}` }];
  if (!r.content?.['application/json']) return body === undefined || body === '' ? [] : [{ path: '$', message: 'a body where none is documented' }];
  const v = validator(pointer('paths', path, method, 'responses', responses[String(status)] ? String(status) : 'default', 'content', 'application/json', 'schema'));
  return v(body) ? [] : problems(v);
}

/** A webhook payload's problems, against its event type's schema. */
export function webhookProblems(type: string, body: unknown): Problem[] {
  if (!document['x-webhooks'][type]) return [{ path: '$', message: `no webhook ${type} in the document` }];
  const v = validator(pointer('x-webhooks', type, 'post', 'requestBody', 'content', 'application/json', 'schema'));
  return v(body) ? [] : problems(v);
}

/** The permissions an operation accepts (any one of them, possibly scoped to the store). */
export function requiredPermissions(path: string, method: string): string[] {
  const security = (document.paths[path]?.[method] as { security?: Array<{ API_Key?: string[] }> } | undefined)?.security ?? [];
  return security.flatMap((s) => s.API_Key ?? []);
}
