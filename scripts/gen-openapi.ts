// Generates src/api/generated/openapi-schemas.json: the OpenAPI (Swagger 2.0 style) schema of every
// kind in src/api/resources.ts and everything those kinds reference, named the way Kubernetes names
// its definitions (`io.k8s.api.core.v1.PodSpec`). The schemas come from the `kubernetes-types`
// declarations (descriptions are that package's doc comments) via ts-json-schema-generator; the
// Kubernetes-specific facts TypeScript cannot express (int-or-string, date-time, patch strategies,
// list types, group-version-kind) come from the small tables in this file.
//
// Run by `npm run gen:openapi` (and `prebuild`). The output is gitignored and regenerated only when
// an input changed (this script, the resource table, or the kubernetes-types version); it is also
// copied to dist/api/generated/ because the server reads it at runtime from beside its modules.
//
// Usage: tsx scripts/gen-openapi.ts [--force]

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import type { CompletedConfig } from 'ts-json-schema-generator';
import { RESOURCES, groupVersions, parseApiVersion } from '../src/api/resources.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES_DIR = join(ROOT, 'node_modules', 'kubernetes-types');
const OUT_REL = join('api', 'generated', 'openapi-schemas.json');
const OUT_SRC = join(ROOT, 'src', OUT_REL);
const OUT_DIST = join(ROOT, 'dist', OUT_REL);

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

// --- Facts we record ourselves -------------------------------------------------------------

/** Definition-name package prefix → kubernetes-types declaration file. */
function declarationFile(pkg: string): string {
  const special: Record<string, string> = {
    [META]: 'meta/v1.d.ts',
    'io.k8s.apimachinery.pkg.api.resource': 'api/resource.d.ts',
    'io.k8s.apimachinery.pkg.runtime': 'runtime.d.ts',
    'io.k8s.apimachinery.pkg.version': 'version.d.ts',
  };
  if (special[pkg]) return special[pkg];
  const m = /^io\.k8s\.api\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(pkg);
  if (!m) throw new Error(`no kubernetes-types file known for package ${pkg}`);
  return `${m[1]}/${m[2]}.d.ts`;
}

function packageOfFile(relFile: string): string {
  const special: Record<string, string> = {
    'meta/v1.d.ts': META,
    'api/resource.d.ts': 'io.k8s.apimachinery.pkg.api.resource',
    'runtime.d.ts': 'io.k8s.apimachinery.pkg.runtime',
    'version.d.ts': 'io.k8s.apimachinery.pkg.version',
  };
  if (special[relFile]) return special[relFile];
  const m = /^([a-z0-9]+)\/([a-z0-9]+)\.d\.ts$/.exec(relFile);
  if (!m) throw new Error(`no package known for kubernetes-types file ${relFile}`);
  return `io.k8s.api.${m[1]}.${m[2]}`;
}

interface GVK { group: string; version: string; kind: string }

/** Kinds used by operations besides the resources themselves (request/response bodies). */
const EXTRA_ROOTS: ReadonlyArray<{ name: string; gvk?: GVK }> = [
  { name: 'io.k8s.api.autoscaling.v1.Scale', gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  { name: 'io.k8s.api.policy.v1.Eviction', gvk: { group: 'policy', version: 'v1', kind: 'Eviction' } },
  { name: 'io.k8s.api.authentication.v1.TokenRequest', gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
  { name: `${META}.Status`, gvk: { group: '', version: 'v1', kind: 'Status' } },
  { name: `${META}.DeleteOptions` },
  { name: `${META}.WatchEvent` },
  { name: `${META}.Patch` },
  { name: `${META}.APIResourceList`, gvk: { group: '', version: 'v1', kind: 'APIResourceList' } },
  { name: `${META}.APIGroupList`, gvk: { group: '', version: 'v1', kind: 'APIGroupList' } },
  { name: `${META}.APIGroup`, gvk: { group: '', version: 'v1', kind: 'APIGroup' } },
  { name: `${META}.APIVersions`, gvk: { group: '', version: 'v1', kind: 'APIVersions' } },
  { name: 'io.k8s.apimachinery.pkg.version.Info' },
];

/** How strategic merge patch and server-side apply treat a field (`x-kubernetes-*` extensions). */
interface FieldExt {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'map' | 'set';
  listMapKeys?: readonly string[];
}

/** A list merged by key: the common case. */
const byKey = (key: string, mapKeys: readonly string[] = [key], strategy = 'merge'): FieldExt =>
  ({ patchStrategy: strategy, patchMergeKey: key, listType: 'map', listMapKeys: mapKeys });
const conditions = { conditions: byKey('type') };

/** Per definition, per field. Covers the lists people patch; everything else merges atomically. */
const FIELD_EXTENSIONS: Record<string, Record<string, FieldExt>> = {
  [`${META}.ObjectMeta`]: {
    finalizers: { patchStrategy: 'merge', listType: 'set' },
    ownerReferences: byKey('uid'),
    managedFields: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodSpec': {
    containers: byKey('name'),
    initContainers: byKey('name'),
    ephemeralContainers: byKey('name'),
    volumes: byKey('name', ['name'], 'merge,retainKeys'),
    imagePullSecrets: byKey('name'),
    hostAliases: byKey('ip'),
    topologySpreadConstraints: byKey('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: byKey('name'),
    resourceClaims: byKey('name', ['name'], 'merge,retainKeys'),
    tolerations: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.Container': {
    ports: byKey('containerPort', ['containerPort', 'protocol']),
    env: byKey('name'),
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
    envFrom: { listType: 'atomic' },
    command: { listType: 'atomic' },
    args: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.EphemeralContainer': {
    ports: byKey('containerPort', ['containerPort', 'protocol']),
    env: byKey('name'),
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
  },
  'io.k8s.api.core.v1.PodStatus': {
    ...conditions,
    podIPs: byKey('ip'),
    resourceClaimStatuses: byKey('name', ['name'], 'merge,retainKeys'),
  },
  'io.k8s.api.core.v1.ContainerStatus': { volumeMounts: byKey('mountPath') },
  'io.k8s.api.core.v1.ServiceSpec': { ports: byKey('port', ['port', 'protocol']) },
  'io.k8s.api.core.v1.ServiceStatus': conditions,
  'io.k8s.api.core.v1.ServiceAccount': { secrets: byKey('name') },
  'io.k8s.api.core.v1.NodeStatus': { ...conditions, addresses: byKey('type') },
  'io.k8s.api.core.v1.NamespaceStatus': conditions,
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': conditions,
  'io.k8s.api.core.v1.ReplicationControllerStatus': conditions,
  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { patchStrategy: 'retainKeys' } },
  'io.k8s.api.apps.v1.DeploymentStatus': conditions,
  'io.k8s.api.apps.v1.ReplicaSetStatus': conditions,
  'io.k8s.api.apps.v1.StatefulSetStatus': conditions,
  'io.k8s.api.apps.v1.DaemonSetStatus': conditions,
  'io.k8s.api.batch.v1.JobStatus': { conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'atomic' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { selector: { patchStrategy: 'replace' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': conditions,
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': conditions,
};

/** Schemas TypeScript cannot express, written by us. */
const HAND_WRITTEN: Record<string, JsonSchema> = {
  [INT_OR_STRING]: {
    type: 'string',
    format: 'int-or-string',
    description: 'A value that holds either an integer or a string (for example a port number or a port name, or a count or a percentage).',
  },
};

// --- Schema plumbing ----------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonSchema = { [k: string]: Json };

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Names declared (interfaces and type aliases) and files imported, per declaration file. */
interface FileInfo { declared: Set<string>; imports: string[] }

// Loaded only when regenerating: importing the compiler is most of an up-to-date run's cost.
let tsApi: typeof ts;

function fileInfo(program: ts.Program, relFile: string, cache: Map<string, FileInfo>): FileInfo {
  const hit = cache.get(relFile);
  if (hit) return hit;
  const sf = program.getSourceFile(join(TYPES_DIR, relFile));
  if (!sf) throw new Error(`kubernetes-types file missing: ${relFile}`);
  const info: FileInfo = { declared: new Set(), imports: [] };
  for (const st of sf.statements) {
    if (tsApi.isInterfaceDeclaration(st) || tsApi.isTypeAliasDeclaration(st)) info.declared.add(st.name.text);
    if (tsApi.isImportDeclaration(st) && tsApi.isStringLiteral(st.moduleSpecifier)) {
      const target = join(dirname(relFile), `${st.moduleSpecifier.text}.d.ts`).replace(/\\/g, '/');
      info.imports.push(target);
    }
  }
  cache.set(relFile, info);
  return info;
}

/**
 * The generator names definitions by their bare TypeScript name. Find the file that declared a name
 * as seen from the root's file: the root file first, then what it imports, breadth first. This is
 * how TypeScript itself resolved the reference, so it is unambiguous (core/v1 and events/v1 both
 * declare `Event`, but never both in one import closure).
 */
function qualify(program: ts.Program, rootFile: string, name: string, cache: Map<string, FileInfo>): string {
  const queue = [rootFile];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const info = fileInfo(program, f, cache);
    if (info.declared.has(name)) return `${packageOfFile(f)}.${name}`;
    queue.push(...info.imports);
  }
  throw new Error(`cannot resolve ${name} from ${rootFile}`);
}

/** Rewrites one generated schema into Kubernetes' OpenAPI conventions. */
function normalize(s: JsonSchema, rename: (bare: string) => string): JsonSchema {
  const out: JsonSchema = {};
  // A field typed `number | string` is IntOrString (the only such union in the API types).
  if (Array.isArray(s.type) && s.type.length === 2 && s.type.includes('number') && s.type.includes('string')) {
    out.$ref = `#/definitions/${INT_OR_STRING}`;
    if (typeof s.description === 'string') out.description = s.description;
    return out;
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === '$schema' || k === 'const') continue; // apiVersion/kind are plain strings upstream
    if (k === 'additionalProperties' && v === false) continue;
    if (k === '$ref' && typeof v === 'string') {
      out.$ref = `#/definitions/${rename(decodeURIComponent(v.replace('#/definitions/', '')))}`;
    } else if (k === 'type' && v === 'number') {
      out.type = 'integer'; // the built-in kinds carry no floating-point fields
    } else if (k === 'properties' && isObject(v)) {
      const props: JsonSchema = {};
      for (const [pk, pv] of Object.entries(v)) if (isObject(pv)) props[pk] = normalize(pv, rename);
      out.properties = props;
    } else if ((k === 'items' || k === 'additionalProperties') && isObject(v)) {
      out[k] = normalize(v, rename);
    } else if ((k === 'anyOf' || k === 'oneOf' || k === 'allOf') && Array.isArray(v)) {
      out[k] = v.map((x) => (isObject(x) ? normalize(x, rename) : x));
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** Adds the facts TypeScript does not carry to a qualified definition. */
function decorate(name: string, s: JsonSchema, gvks: Map<string, GVK[]>): JsonSchema {
  if (name === `${META}.Time` || name === `${META}.MicroTime`) s.format = 'date-time';
  // Free-form objects: any JSON is allowed inside, so the schema must not list properties.
  if (name === `${META}.FieldsV1` || name === 'io.k8s.apimachinery.pkg.runtime.RawExtension') {
    delete s.properties;
    s.type = 'object';
  }
  const ext = FIELD_EXTENSIONS[name];
  if (ext && isObject(s.properties)) {
    for (const [field, e] of Object.entries(ext)) {
      const p = s.properties[field];
      if (!isObject(p)) throw new Error(`FIELD_EXTENSIONS: ${name} has no field ${field}`);
      if (e.patchMergeKey) p['x-kubernetes-patch-merge-key'] = e.patchMergeKey;
      if (e.patchStrategy) p['x-kubernetes-patch-strategy'] = e.patchStrategy;
      if (e.listMapKeys) p['x-kubernetes-list-map-keys'] = [...e.listMapKeys];
      if (e.listType) p['x-kubernetes-list-type'] = e.listType;
    }
  }
  const gvk = gvks.get(name);
  if (gvk) s['x-kubernetes-group-version-kind'] = gvk.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  return s;
}

// --- Main ---------------------------------------------------------------------------------

interface Root { name: string; gvk?: GVK }

function roots(): Root[] {
  const out: Root[] = [];
  for (const r of RESOURCES) {
    out.push({ name: r.typeName, gvk: { group: r.group, version: r.version, kind: r.kind } });
    if (r.listTypeName) out.push({ name: r.listTypeName, gvk: { group: r.group, version: r.version, kind: `${r.kind}List` } });
  }
  out.push(...EXTRA_ROOTS);
  return out;
}

async function generate(): Promise<{ definitions: Record<string, JsonSchema>; rootCount: number }> {
  tsApi = (await import('typescript')).default;
  const { createFormatter, createParser, DEFAULT_CONFIG, SchemaGenerator } = await import('ts-json-schema-generator');
  const rootList = roots();
  const files = new Set<string>();
  for (const r of rootList) files.add(declarationFile(r.name.slice(0, r.name.lastIndexOf('.'))));
  const program = tsApi.createProgram([...files].map((f) => join(TYPES_DIR, f)), { noEmit: true, skipLibCheck: true });
  const config: CompletedConfig = { ...DEFAULT_CONFIG, expose: 'export', topRef: true, jsDoc: 'extended', skipTypeCheck: true, additionalProperties: true };
  const generator = new SchemaGenerator(program, createParser(program, config), createFormatter(config), config);
  const fileCache = new Map<string, FileInfo>();

  // Group-version-kinds per definition. DeleteOptions and WatchEvent are accepted by every group
  // version, so they carry one entry per served group version as upstream does.
  const gvks = new Map<string, GVK[]>();
  const addGvk = (name: string, g: GVK): void => {
    const list = gvks.get(name) ?? [];
    if (!list.some((x) => x.group === g.group && x.version === g.version && x.kind === g.kind)) list.push(g);
    gvks.set(name, list);
  };
  for (const r of rootList) if (r.gvk) addGvk(r.name, r.gvk);
  for (const gv of groupVersions()) {
    const { group, version } = parseApiVersion(gv);
    addGvk(`${META}.DeleteOptions`, { group, version, kind: 'DeleteOptions' });
    addGvk(`${META}.WatchEvent`, { group, version, kind: 'WatchEvent' });
  }

  const definitions: Record<string, JsonSchema> = { ...HAND_WRITTEN };
  for (const root of rootList) {
    const dot = root.name.lastIndexOf('.');
    const relFile = declarationFile(root.name.slice(0, dot));
    const sf = program.getSourceFile(join(TYPES_DIR, relFile));
    const node = sf?.statements.find((s) => (tsApi.isInterfaceDeclaration(s) || tsApi.isTypeAliasDeclaration(s)) && s.name.text === root.name.slice(dot + 1));
    if (!node) throw new Error(`kubernetes-types has no ${root.name} (looked in ${relFile})`);
    const schema = generator.createSchemaFromNodes([node]);
    const rename = (bare: string): string => qualify(program, relFile, bare, fileCache);
    for (const [bare, def] of Object.entries(schema.definitions ?? {})) {
      if (typeof def === 'boolean') continue;
      const name = rename(bare);
      if (definitions[name]) continue; // same declaration reached from another root
      definitions[name] = normalize(def as JsonSchema, rename);
    }
  }
  const sorted: Record<string, JsonSchema> = {};
  for (const name of Object.keys(definitions).sort()) sorted[name] = decorate(name, definitions[name], gvks);
  return { definitions: sorted, rootCount: rootList.length };
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const typesVersion = (JSON.parse(readFileSync(join(TYPES_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  const inputHash = sha256([
    readFileSync(fileURLToPath(import.meta.url), 'utf8'),
    readFileSync(join(ROOT, 'src', 'api', 'resources.ts'), 'utf8'),
    typesVersion,
  ].join('\0'));

  let text: string | undefined;
  if (!force && existsSync(OUT_SRC)) {
    const existing = readFileSync(OUT_SRC, 'utf8');
    const m = /"inputHash":"([0-9a-f]+)"/.exec(existing.slice(0, 300));
    if (m && m[1] === inputHash) text = existing;
  }
  if (text === undefined) {
    const t0 = performance.now();
    const { definitions, rootCount } = await generate();
    const ms = Math.round(performance.now() - t0);
    // inputHash first so the up-to-date check reads only the head of the file.
    text = JSON.stringify({ inputHash, source: `kubernetes-types@${typesVersion}`, definitions });
    mkdirSync(dirname(OUT_SRC), { recursive: true });
    writeFileSync(OUT_SRC, text);
    console.log(`gen-openapi: ${Object.keys(definitions).length} definitions from ${rootCount} roots in ${ms} ms, ${(text.length / 1024).toFixed(0)} KiB -> ${OUT_SRC}`);
  } else {
    console.log('gen-openapi: up to date');
  }
  // dist/ is what `node dist/...` loads; tsc does not copy JSON that is read with fs.
  if (!existsSync(OUT_DIST) || readFileSync(OUT_DIST, 'utf8') !== text) {
    mkdirSync(dirname(OUT_DIST), { recursive: true });
    writeFileSync(OUT_DIST, text);
  }
}

await main();
