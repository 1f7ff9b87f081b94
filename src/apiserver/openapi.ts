// The OpenAPI documents: /openapi/v2 (Swagger 2.0, one document for everything), /openapi/v3 (a root
// listing one document per group version) and /openapi/v3/<api/v1 | apis/group/version>. kubectl
// uses them for `explain` and for `apply`: when a group version's PATCH operations declare the
// `fieldValidation` query parameter, kubectl leaves validation to the server.
//
// Operations are derived from the resource table (src/api/resources.ts) and schemas from the
// generated definitions (src/api/openapi_schemas.ts). Every document is built once, on first use,
// and kept serialized with its hash; documents never change while the process runs.

import { createHash } from 'node:crypto';
import {
  RESOURCES,
  groupVersionPath,
  groupVersions,
  parseApiVersion,
  type GroupVersionKind,
  type ResourceInfo,
  type SubresourceInfo,
} from '../api/resources.js';
import { DEFINITION_REF_PREFIX, definitions, refName, type SchemaObject } from '../api/openapi_schemas.js';
import { SERVER_GIT_VERSION } from './discovery.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
const RESPONSE_CONTENT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const WATCH_CONTENT_TYPES = ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

// ---- A neutral model of operations, rendered into v2 and v3 below ---------------------------

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

interface Param {
  name: string;
  in: 'path' | 'query';
  description: string;
  type: 'string' | 'integer' | 'boolean';
  required?: boolean;
}

interface Operation {
  path: string;
  method: Method;
  operationId: string;
  description: string;
  action: string;
  gvk: GroupVersionKind;
  tag: string;
  params: Param[];
  /** Definition name of the request body. */
  body?: string;
  bodyIsPatch?: boolean;
  /** Definition name of the response body, or 'string' for plain text (logs). */
  response?: string;
  /** Response codes besides 200. */
  extraCodes?: ReadonlyArray<'201' | '202'>;
  watchable?: boolean;
}

// Parameters, described in our own words.
const P = {
  name: (kind: string): Param => ({ name: 'name', in: 'path', required: true, type: 'string', description: `name of the ${kind}` }),
  namespace: { name: 'namespace', in: 'path', required: true, type: 'string', description: 'object name and auth scope, such as for teams and projects' } as Param,
  pretty: { name: 'pretty', in: 'query', type: 'string', description: "If 'true', the output is indented." } as Param,
  dryRun: { name: 'dryRun', in: 'query', type: 'string', description: "When present (only 'All' is valid), the request is processed in full but nothing is persisted." } as Param,
  fieldManager: { name: 'fieldManager', in: 'query', type: 'string', description: 'Name of the actor making the change, recorded in managedFields.' } as Param,
  fieldValidation: {
    name: 'fieldValidation', in: 'query', type: 'string',
    description: 'How the server treats unknown or duplicate fields in the request body: Ignore drops them, Warn drops them and answers with a Warning header per field, Strict rejects the request.',
  } as Param,
  force: { name: 'force', in: 'query', type: 'boolean', description: 'Apply patches only: take ownership of fields other managers own instead of failing with a conflict.' } as Param,
  labelSelector: { name: 'labelSelector', in: 'query', type: 'string', description: 'Only return objects whose labels match this selector.' } as Param,
  fieldSelector: { name: 'fieldSelector', in: 'query', type: 'string', description: 'Only return objects whose fields match this selector.' } as Param,
  limit: { name: 'limit', in: 'query', type: 'integer', description: 'Maximum number of items in one response; the rest is fetched with the returned continue token.' } as Param,
  continue: { name: 'continue', in: 'query', type: 'string', description: 'Token from a previous limited list, to fetch the next page.' } as Param,
  resourceVersion: { name: 'resourceVersion', in: 'query', type: 'string', description: 'The resource version a list or watch is served from.' } as Param,
  resourceVersionMatch: { name: 'resourceVersionMatch', in: 'query', type: 'string', description: 'How resourceVersion is interpreted for lists: Exact or NotOlderThan.' } as Param,
  watch: { name: 'watch', in: 'query', type: 'boolean', description: 'Stream add, update and delete events instead of returning a list.' } as Param,
  allowWatchBookmarks: { name: 'allowWatchBookmarks', in: 'query', type: 'boolean', description: 'Let the server send BOOKMARK events during a watch.' } as Param,
  sendInitialEvents: { name: 'sendInitialEvents', in: 'query', type: 'boolean', description: 'Start a watch with synthetic ADDED events for the current state.' } as Param,
  timeoutSeconds: { name: 'timeoutSeconds', in: 'query', type: 'integer', description: 'Ends a list or watch after this many seconds.' } as Param,
  gracePeriodSeconds: { name: 'gracePeriodSeconds', in: 'query', type: 'integer', description: 'Seconds to wait before the object is deleted; 0 deletes at once.' } as Param,
  propagationPolicy: { name: 'propagationPolicy', in: 'query', type: 'string', description: 'How dependents are garbage collected: Orphan, Background or Foreground.' } as Param,
  orphanDependents: { name: 'orphanDependents', in: 'query', type: 'boolean', description: 'Deprecated; use propagationPolicy.' } as Param,
  ignoreStoreReadErrorWithClusterBreakingPotential: {
    name: 'ignoreStoreReadErrorWithClusterBreakingPotential', in: 'query', type: 'boolean',
    description: 'Delete an object that cannot be read from storage. Dangerous.',
  } as Param,
} as const;

const LIST_PARAMS: Param[] = [P.pretty, P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS: Param[] = [P.pretty, P.dryRun, P.fieldManager, P.fieldValidation];
const DELETE_PARAMS: Param[] = [P.pretty, P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadErrorWithClusterBreakingPotential, P.orphanDependents, P.propagationPolicy];

const LOG_PARAMS: Param[] = [
  { name: 'container', in: 'query', type: 'string', description: 'Container to read logs from; optional when the pod has one container.' },
  { name: 'follow', in: 'query', type: 'boolean', description: 'Keep the stream open and send new lines as they are written.' },
  { name: 'insecureSkipTLSVerifyBackend', in: 'query', type: 'boolean', description: 'Do not verify the serving certificate of the kubelet.' },
  { name: 'limitBytes', in: 'query', type: 'integer', description: 'Stop after this many bytes.' },
  { name: 'previous', in: 'query', type: 'boolean', description: 'Read the logs of the previous, terminated instance of the container.' },
  { name: 'sinceSeconds', in: 'query', type: 'integer', description: 'Only lines newer than this many seconds.' },
  { name: 'tailLines', in: 'query', type: 'integer', description: 'Only this many lines from the end.' },
  { name: 'timestamps', in: 'query', type: 'boolean', description: 'Prefix each line with its RFC 3339 timestamp.' },
];

const EXEC_PARAMS: Param[] = [
  { name: 'command', in: 'query', type: 'string', description: 'Command and arguments to run, one parameter per word.' },
  { name: 'container', in: 'query', type: 'string', description: 'Container to run in; optional when the pod has one container.' },
  { name: 'stderr', in: 'query', type: 'boolean', description: 'Stream standard error.' },
  { name: 'stdin', in: 'query', type: 'boolean', description: 'Stream standard input.' },
  { name: 'stdout', in: 'query', type: 'boolean', description: 'Stream standard output.' },
  { name: 'tty', in: 'query', type: 'boolean', description: 'Allocate a terminal.' },
];

/** `rbac.authorization.k8s.io` → `RbacAuthorization`, `` → `Core`, as operation IDs spell groups. */
function groupToken(group: string): string {
  if (group === '') return 'Core';
  return group.replace(/\.k8s\.io$/, '').split('.').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');
}

function tagFor(group: string, version: string): string {
  const g = groupToken(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The operations of one resource (collection, item and subresources). */
function resourceOperations(r: ResourceInfo): Operation[] {
  const ops: Operation[] = [];
  const prefix = groupVersionPath(r.group, r.version);
  const gv = `${groupToken(r.group)}${cap(r.version)}`;
  const nsWord = r.namespaced ? 'Namespaced' : '';
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const item = `${collection}/{name}`;
  const scope = r.namespaced ? [P.namespace] : [];
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const tag = tagFor(r.group, r.version);
  const kindRef = r.typeName;
  const has = (v: string): boolean => r.verbs.some((x) => x === v);
  const base = { gvk, tag };

  if (has('list') && r.listTypeName) {
    ops.push({ ...base, path: collection, method: 'get', operationId: `list${gv}${nsWord}${r.kind}`, action: 'list', description: `list or watch objects of kind ${r.kind}`, params: [...scope, ...LIST_PARAMS], response: r.listTypeName, watchable: true });
    if (r.namespaced) {
      ops.push({ ...base, path: `${prefix}/${r.plural}`, method: 'get', operationId: `list${gv}${r.kind}ForAllNamespaces`, action: 'list', description: `list or watch objects of kind ${r.kind} in every namespace`, params: LIST_PARAMS, response: r.listTypeName, watchable: true });
    }
  }
  if (has('create')) {
    ops.push({ ...base, path: collection, method: 'post', operationId: `create${gv}${nsWord}${r.kind}`, action: 'post', description: `create a ${r.kind}`, params: [...scope, ...WRITE_PARAMS], body: kindRef, response: kindRef, extraCodes: ['201', '202'] });
  }
  if (has('deletecollection')) {
    ops.push({ ...base, path: collection, method: 'delete', operationId: `delete${gv}Collection${nsWord}${r.kind}`, action: 'deletecollection', description: `delete a collection of ${r.kind}`, params: [...scope, ...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p !== P.pretty && p !== P.watch && p !== P.allowWatchBookmarks)], body: `${META}.DeleteOptions`, response: `${META}.Status` });
  }
  const named = [P.name(r.kind), ...scope];
  if (has('get')) {
    ops.push({ ...base, path: item, method: 'get', operationId: `read${gv}${nsWord}${r.kind}`, action: 'get', description: `read the specified ${r.kind}`, params: [...named, P.pretty], response: kindRef });
  }
  if (has('update')) {
    ops.push({ ...base, path: item, method: 'put', operationId: `replace${gv}${nsWord}${r.kind}`, action: 'put', description: `replace the specified ${r.kind}`, params: [...named, ...WRITE_PARAMS], body: kindRef, response: kindRef, extraCodes: ['201'] });
  }
  if (has('patch')) {
    ops.push({ ...base, path: item, method: 'patch', operationId: `patch${gv}${nsWord}${r.kind}`, action: 'patch', description: `partially update the specified ${r.kind}`, params: [...named, ...WRITE_PARAMS, P.force], body: `${META}.Patch`, bodyIsPatch: true, response: kindRef, extraCodes: ['201'] });
  }
  if (has('delete')) {
    ops.push({ ...base, path: item, method: 'delete', operationId: `delete${gv}${nsWord}${r.kind}`, action: 'delete', description: `delete a ${r.kind}`, params: [...named, ...DELETE_PARAMS], body: `${META}.DeleteOptions`, response: `${META}.Status`, extraCodes: ['202'] });
  }
  for (const s of r.subresources) ops.push(...subresourceOperations(r, s, { item, named, gv, nsWord, tag }));
  return ops;
}

interface SubContext { item: string; named: Param[]; gv: string; nsWord: string; tag: string }

/** Definition names of subresource kinds that have a schema (the connect kinds have none). */
const SUBRESOURCE_SCHEMAS: Record<string, string> = {
  'autoscaling/v1/Scale': 'io.k8s.api.autoscaling.v1.Scale',
  'policy/v1/Eviction': 'io.k8s.api.policy.v1.Eviction',
  'v1/Binding': 'io.k8s.api.core.v1.Binding',
  'authentication.k8s.io/v1/TokenRequest': 'io.k8s.api.authentication.v1.TokenRequest',
};

function subresourceOperations(r: ResourceInfo, s: SubresourceInfo, c: SubContext): Operation[] {
  const group = s.group ?? r.group;
  const version = s.version ?? r.version;
  const gvk: GroupVersionKind = { group, version, kind: s.kind };
  const gvKey = group === '' ? `${version}/${s.kind}` : `${group}/${version}/${s.kind}`;
  const schema = s.kind === r.kind ? r.typeName : SUBRESOURCE_SCHEMAS[gvKey];
  const path = `${c.item}/${s.name}`;
  const suffix = `${c.nsWord}${r.kind}${cap(s.name)}`;
  const base = { gvk, tag: c.tag, path };
  const ops: Operation[] = [];

  if (s.name === 'log') {
    return [{ ...base, method: 'get', operationId: `read${c.gv}${suffix}`, action: 'get', description: `read log of the specified ${r.kind}`, params: [...c.named, P.pretty, ...LOG_PARAMS], response: 'string' }];
  }
  if (!schema) {
    // Streaming or proxying subresources (exec, attach, portforward, proxy): "connect" actions.
    const params = s.name === 'exec' || s.name === 'attach' ? [...c.named, ...EXEC_PARAMS.filter((p) => s.name === 'exec' || p.name !== 'command')] : c.named;
    const methods: Record<string, Method[]> = { create: ['post'], get: ['get'], update: ['put'], patch: ['patch'], delete: ['delete'] };
    for (const verb of s.verbs) {
      for (const m of methods[verb] ?? []) {
        ops.push({ ...base, method: m, operationId: `connect${c.gv}${cap(m)}${suffix}`, action: 'connect', description: `connect ${m.toUpperCase()} requests to ${s.name} of ${r.kind}`, params, response: 'string' });
      }
    }
    return ops;
  }
  for (const verb of s.verbs) {
    if (verb === 'get') ops.push({ ...base, method: 'get', operationId: `read${c.gv}${suffix}`, action: 'get', description: `read ${s.name} of the specified ${r.kind}`, params: [...c.named, P.pretty], response: schema });
    if (verb === 'update') ops.push({ ...base, method: 'put', operationId: `replace${c.gv}${suffix}`, action: 'put', description: `replace ${s.name} of the specified ${r.kind}`, params: [...c.named, ...WRITE_PARAMS], body: schema, response: schema, extraCodes: ['201'] });
    if (verb === 'patch') ops.push({ ...base, method: 'patch', operationId: `patch${c.gv}${suffix}`, action: 'patch', description: `partially update ${s.name} of the specified ${r.kind}`, params: [...c.named, ...WRITE_PARAMS, P.force], body: `${META}.Patch`, bodyIsPatch: true, response: schema, extraCodes: ['201'] });
    if (verb === 'create') ops.push({ ...base, method: 'post', operationId: `create${c.gv}${suffix}`, action: 'post', description: `create ${s.name} of a ${r.kind}`, params: [...c.named, ...WRITE_PARAMS], body: schema, response: schema, extraCodes: ['201', '202'] });
  }
  return ops;
}

/** The discovery endpoint of a group version, listed in its document as upstream does. */
function discoveryOperation(group: string, version: string): Operation {
  return {
    path: `${groupVersionPath(group, version)}/`,
    method: 'get',
    operationId: `get${groupToken(group)}${cap(version)}APIResources`,
    description: 'get available resources',
    action: '',
    gvk: { group: '', version: 'v1', kind: 'APIResourceList' },
    tag: tagFor(group, version),
    params: [],
    response: `${META}.APIResourceList`,
  };
}

const operationsByGv = new Map<string, Operation[]>();
function operationsFor(gv: string): Operation[] {
  const hit = operationsByGv.get(gv);
  if (hit) return hit;
  const { group, version } = parseApiVersion(gv);
  const ops = [discoveryOperation(group, version)];
  for (const r of RESOURCES) if (r.group === group && r.version === version) ops.push(...resourceOperations(r));
  operationsByGv.set(gv, ops);
  return ops;
}

// ---- Rendering -------------------------------------------------------------------------------

function gvkJson(g: GroupVersionKind): JsonObject {
  return { group: g.group, kind: g.kind, version: g.version };
}

function paramV2(p: Param): JsonObject {
  const out: JsonObject = { name: p.name, in: p.in, description: p.description, type: p.type, uniqueItems: true };
  if (p.required) out.required = true;
  return out;
}

function paramV3(p: Param): JsonObject {
  const out: JsonObject = { name: p.name, in: p.in, description: p.description, schema: { type: p.type, uniqueItems: true } };
  if (p.required) out.required = true;
  return out;
}

const CODE_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '401': 'Unauthorized' };

function responseSchema(name: string, refPrefix: string): JsonObject {
  return name === 'string' ? { type: 'string' } : { $ref: `${refPrefix}${name}` };
}

function renderPathsV2(ops: readonly Operation[]): JsonObject {
  const paths: { [p: string]: JsonObject } = {};
  for (const op of ops) {
    const params = op.params.map(paramV2);
    if (op.body) params.unshift({ name: 'body', in: 'body', required: true, schema: { $ref: `${DEFINITION_REF_PREFIX}${op.body}` } });
    const responses: JsonObject = {};
    for (const code of ['200', ...(op.extraCodes ?? [])]) {
      responses[code] = { description: CODE_TEXT[code], ...(op.response ? { schema: responseSchema(op.response, DEFINITION_REF_PREFIX) } : {}) };
    }
    responses['401'] = { description: CODE_TEXT['401'] };
    const o: JsonObject = {
      description: op.description,
      consumes: op.bodyIsPatch ? PATCH_CONTENT_TYPES : ['*/*'],
      produces: op.response === 'string' ? ['text/plain', 'application/json'] : op.watchable ? [...RESPONSE_CONTENT_TYPES, ...WATCH_CONTENT_TYPES] : RESPONSE_CONTENT_TYPES,
      schemes: ['https'],
      tags: [op.tag],
      operationId: op.operationId,
      parameters: params,
      responses,
    };
    if (op.action) o['x-kubernetes-action'] = op.action;
    o['x-kubernetes-group-version-kind'] = gvkJson(op.gvk);
    (paths[op.path] ??= {})[op.method] = o;
  }
  return paths;
}

const V3_REF_PREFIX = '#/components/schemas/';

function renderPathsV3(ops: readonly Operation[]): JsonObject {
  const paths: { [p: string]: JsonObject } = {};
  for (const op of ops) {
    const o: JsonObject = { tags: [op.tag], description: op.description, operationId: op.operationId };
    if (op.params.length > 0) o.parameters = op.params.map(paramV3);
    if (op.body) {
      const schema = { $ref: `${V3_REF_PREFIX}${op.body}` };
      const content: JsonObject = {};
      for (const t of op.bodyIsPatch ? PATCH_CONTENT_TYPES : ['*/*']) content[t] = { schema };
      o.requestBody = { content, required: true };
    }
    const responses: JsonObject = {};
    const types = op.response === 'string' ? ['*/*'] : op.watchable ? [...RESPONSE_CONTENT_TYPES, ...WATCH_CONTENT_TYPES] : RESPONSE_CONTENT_TYPES;
    for (const code of ['200', ...(op.extraCodes ?? [])]) {
      const content: JsonObject = {};
      if (op.response) for (const t of types) content[t] = { schema: responseSchema(op.response, V3_REF_PREFIX) };
      responses[code] = { description: CODE_TEXT[code], content };
    }
    responses['401'] = { description: CODE_TEXT['401'] };
    o.responses = responses;
    if (op.action) o['x-kubernetes-action'] = op.action;
    o['x-kubernetes-group-version-kind'] = gvkJson(op.gvk);
    (paths[op.path] ??= {})[op.method] = o;
  }
  return paths;
}

/**
 * A v2 schema rewritten for OpenAPI 3: refs point into components, and a ref with siblings (a
 * described field) becomes `allOf: [{$ref}]`, because siblings of $ref are ignored in 3.0.
 */
function toV3(s: SchemaObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(s) as Array<[string, Json]>) {
    if (k === '$ref' && typeof v === 'string') continue;
    if (k === 'properties' && s.properties) {
      const props: JsonObject = {};
      for (const [pk, pv] of Object.entries(s.properties)) props[pk] = toV3(pv);
      out.properties = props;
    } else if (k === 'items' && s.items) {
      out.items = toV3(s.items);
    } else if (k === 'additionalProperties' && typeof s.additionalProperties === 'object') {
      out.additionalProperties = toV3(s.additionalProperties);
    } else {
      out[k] = v;
    }
  }
  if (s.$ref) {
    const ref = { $ref: `${V3_REF_PREFIX}${refName(s.$ref)}` };
    if (Object.keys(out).length === 0) return ref;
    out.allOf = [ref];
  }
  return out;
}

/** Definition names reachable from the given names. */
function closure(start: Iterable<string>): string[] {
  const defs = definitions();
  const seen = new Set<string>();
  const stack = [...start];
  const visit = (s: SchemaObject): void => {
    if (s.$ref) stack.push(refName(s.$ref));
    if (s.properties) for (const p of Object.values(s.properties)) visit(p);
    if (s.items) visit(s.items);
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties);
  };
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const def = defs[name];
    if (!def) throw new Error(`OpenAPI: definition ${name} is referenced but was not generated`);
    seen.add(name);
    visit(def);
  }
  return [...seen].sort();
}

// ---- Documents and their cache ----------------------------------------------------------------

export interface OpenAPIDocument {
  /** Serialized JSON. */
  readonly body: string;
  /** Upper-case hex SHA-512 of the body, as used in `?hash=` URLs. */
  readonly hash: string;
  /** Strong ETag (quoted hash). */
  readonly etag: string;
}

function makeDocument(value: Json): OpenAPIDocument {
  const body = JSON.stringify(value);
  const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
  return { body, hash, etag: `"${hash}"` };
}

const INFO: JsonObject = { title: 'Kubernetes', version: SERVER_GIT_VERSION };

let v2Document: OpenAPIDocument | undefined;

/** GET /openapi/v2 (JSON): every operation and every definition. */
export function openapiV2(): OpenAPIDocument {
  if (v2Document) return v2Document;
  const ops: Operation[] = [];
  for (const gv of groupVersions()) ops.push(...operationsFor(gv));
  const paths = renderPathsV2(ops);
  paths['/version/'] = {
    get: {
      description: 'get the code version', consumes: ['application/json'], produces: ['application/json'], schemes: ['https'],
      tags: ['version'], operationId: 'getCodeVersion',
      responses: { '200': { description: 'OK', schema: { $ref: `${DEFINITION_REF_PREFIX}io.k8s.apimachinery.pkg.version.Info` } }, '401': { description: 'Unauthorized' } },
    },
  };
  // Definitions are trusted generator output; their JSON shape is already Swagger 2.0.
  const defs = definitions() as unknown as JsonObject;
  v2Document = makeDocument({ swagger: '2.0', info: INFO, paths, definitions: defs });
  return v2Document;
}

/** The key of a group version in the v3 root: `api/v1` or `apis/<group>/<version>`. */
export function openapiV3Key(groupVersion: string): string {
  const { group, version } = parseApiVersion(groupVersion);
  return groupVersionPath(group, version).slice(1);
}

const v3Documents = new Map<string, OpenAPIDocument>();
const v3Keys = new Map<string, string>(); // "apis/apps/v1" -> "apps/v1"
for (const gv of groupVersions()) v3Keys.set(openapiV3Key(gv), gv);

/**
 * GET /openapi/v3/<key> where key is `api/v1` or `apis/<group>/<version>`; undefined when no such
 * group version is served. The server may answer requests whose `hash` matches with
 * `Cache-Control: public, immutable`.
 */
export function openapiV3GroupVersion(key: string): OpenAPIDocument | undefined {
  const normalized = key.replace(/^\/+|\/+$/g, '').replace(/^openapi\/v3\//, '');
  const hit = v3Documents.get(normalized);
  if (hit) return hit;
  const gv = v3Keys.get(normalized);
  if (gv === undefined) return undefined;
  const ops = operationsFor(gv);
  const roots = new Set<string>();
  for (const op of ops) {
    if (op.body) roots.add(op.body);
    if (op.response && op.response !== 'string') roots.add(op.response);
  }
  const defs = definitions();
  const schemas: JsonObject = {};
  for (const name of closure(roots)) schemas[name] = toV3(defs[name]);
  const doc = makeDocument({ openapi: '3.0.0', info: INFO, paths: renderPathsV3(ops), components: { schemas } });
  v3Documents.set(normalized, doc);
  return doc;
}

let v3Root: OpenAPIDocument | undefined;

/** GET /openapi/v3: the list of group-version documents with their current hashes. */
export function openapiV3Root(): OpenAPIDocument {
  if (v3Root) return v3Root;
  const paths: JsonObject = {};
  for (const key of [...v3Keys.keys()].sort()) {
    const doc = openapiV3GroupVersion(key);
    if (doc) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
  }
  v3Root = makeDocument({ paths });
  return v3Root;
}
