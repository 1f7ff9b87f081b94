// Fuzzes the create, update and patch endpoints of a real `capstan server` with at least 10,000
// random or mutated bodies: random JSON (raw number literals, escapes, duplicate keys), truncated
// and byte-flipped JSON, valid Pods/Deployments/Services/ConfigMaps/Secrets with mutations (type
// flips, deleted fields, huge numbers, deep nesting, unicode names, nulls), mutated protobuf
// bodies, wrong content types, and merge / JSON / strategic-merge / apply patches with junk.
//
// The server must answer every request with 2xx or 4xx (never 5xx, never drop the connection),
// every 4xx must be a metav1.Status whose `code` is the HTTP status, /healthz must still answer at
// the end, and objects the fuzzer never addressed must be byte-for-byte unchanged. Writes only go
// to fresh names and to one "victim" object per kind, so everything else can be compared exactly.
//
// Reproducible: the PRNG seed is printed (override with FUZZ_SEED; FUZZ_COUNT sets the number of
// requests). Requests are generated in a fixed order from the seed; only the interleaving on the
// server varies with concurrency. Failures print the exact request (body in base64 when binary).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeObject } from '../../src/api/protobuf/codec.js';
import { Cluster, e2eSkipReason } from './harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2026) >>> 0;
const COUNT = Math.max(1, Number(process.env.FUZZ_COUNT ?? 10_000));
const CONCURRENCY = 16;
const REQUEST_TIMEOUT_MS = 15_000;
const NS = 'fuzz';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping fuzz e2e: ${skip}`);

// ---- PRNG -----------------------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---- building blocks ------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Number literals JSON.stringify cannot produce; spliced into the text through placeholders. */
const RAW_NUMBERS = ['1e400', '-1e400', '123456789012345678901234567890', '-0', '0.000000000000000000000000001', '1E+2', '9007199254740993', '-9223372036854775809', '18446744073709551616', '1.7976931348623157e309', '0e0', '4.9e-325'];
const RAW_PREFIX = '\u0001raw:';

const STRINGS = [
  '', 'x', 'a'.repeat(64), 'a'.repeat(254), 'ünïcödé', '名前', '🚀🚀', 'ａｂｃ', '\u0000', '\u200b', '\ud800', '\udfff\ud800', 'a\nb', ' ', '..', '.', '-', 'a/b', '%2F', '../etc',
  'UPPER', '-lead', 'trail-', 'a..b', 'a_b', '10Gi', '-5m', '1e3', 'NaN', 'Infinity', 'true', 'null', '{}', '[]', '${x}', '<script>', "'; drop table",
  'Always', 'Never', 'IfNotPresent', 'TCP', 'UDP', 'ClusterIP', 'NodePort', 'LoadBalancer', 'RollingUpdate', 'Recreate', 'In', 'NotIn', 'Exists',
  'app', 'kubernetes.io/name', 'example.com/x', 'a'.repeat(64) + '/b', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
];

const KEYS = [
  'apiVersion', 'kind', 'metadata', 'spec', 'status', 'data', 'binaryData', 'stringData', 'name', 'namespace', 'labels', 'annotations', 'generateName',
  'uid', 'resourceVersion', 'finalizers', 'ownerReferences', 'deletionTimestamp', 'managedFields', 'containers', 'image', 'ports', 'replicas', 'selector',
  'matchLabels', 'matchExpressions', 'template', 'type', 'clusterIP', 'resources', 'requests', 'limits', 'cpu', 'memory', '__proto__', 'constructor',
  '$patch', '$retainKeys', '$setElementOrder/containers', '$deleteFromPrimitiveList/finalizers', '', 'x', '名前', '🚀', '\u0000', 'a.b', 'a/b',
];

function nest(rng: Rng, depth: number, leaf: Json): Json {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = rng.chance(0.5) ? [v] : { [rng.pick(KEYS)]: v };
  return v;
}

function scalar(rng: Rng): Json {
  switch (rng.int(9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1, 1.5, -0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 65535, 65536, 30000, 32767, 3]);
    case 3:
      return `${RAW_PREFIX}${rng.pick(RAW_NUMBERS)}`;
    case 4:
      return rng.int(1000) - 500;
    case 5:
      return rng.chance(0.02) ? 'Z'.repeat(100_000 + rng.int(200_000)) : rng.pick(STRINGS).repeat(1 + rng.int(3));
    default:
      return rng.pick(STRINGS);
  }
}

function randomJson(rng: Rng, depth: number): Json {
  if (depth <= 0 || rng.chance(0.35)) return scalar(rng);
  if (rng.chance(0.4)) {
    const n = rng.int(5);
    const a: Json[] = [];
    for (let i = 0; i < n; i++) a.push(randomJson(rng, depth - 1));
    return a;
  }
  const n = rng.int(6);
  const o: { [k: string]: Json } = {};
  for (let i = 0; i < n; i++) o[rng.pick(KEYS)] = randomJson(rng, depth - 1);
  return o;
}

/** JSON text with raw-number placeholders replaced, and sometimes a duplicated key. */
function toText(rng: Rng, v: Json): string {
  let text = JSON.stringify(v);
  text = text.replace(/"\\u0001raw:([^"]*)"/g, (_m, raw: string) => raw);
  if (rng.chance(0.05) && text.startsWith('{"')) {
    // A duplicate key: the first member repeated at the end (JSON.parse keeps the last).
    const m = /^\{("(?:[^"\\]|\\.)*":(?:"(?:[^"\\]|\\.)*"|[^,{}[\]]*))[,}]/.exec(text);
    if (m) text = `${text.slice(0, -1)},${m[1]}}`;
  }
  return text;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

// ---- templates --------------------------------------------------------------------------------

interface Kind {
  kind: string;
  apiVersion: string;
  path: string; // collection path in the fuzz namespace
  template: (name: string) => Record<string, Json>;
}

const podSpec = (): Record<string, Json> => ({
  containers: [
    {
      name: 'app',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      env: [{ name: 'A', value: 'b' }],
      livenessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 10 },
    },
  ],
  restartPolicy: 'Always',
  nodeSelector: { disk: 'ssd' },
  tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
});

const KINDS: Kind[] = [
  {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    path: `/api/v1/namespaces/${NS}/configmaps`,
    template: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'fuzz' }, annotations: { note: 'x' } }, data: { a: '1', 'b.txt': 'hello' } }),
  },
  {
    kind: 'Secret',
    apiVersion: 'v1',
    path: `/api/v1/namespaces/${NS}/secrets`,
    template: (name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', data: { p: 'cGFzcw==' }, stringData: { q: 'r' } }),
  },
  {
    kind: 'Pod',
    apiVersion: 'v1',
    path: `/api/v1/namespaces/${NS}/pods`,
    template: (name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'fuzz' } }, spec: podSpec() }),
  },
  {
    kind: 'Service',
    apiVersion: 'v1',
    path: `/api/v1/namespaces/${NS}/services`,
    template: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: { app: 'fuzz' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], type: 'ClusterIP' },
    }),
  },
  {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    path: `/apis/apps/v1/namespaces/${NS}/deployments`,
    template: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: { app: 'fuzz' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'fuzz' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
        template: { metadata: { labels: { app: 'fuzz', tier: 'web' } }, spec: podSpec() },
      },
    }),
  },
];

const NAMESPACE_KIND: Kind = {
  kind: 'Namespace',
  apiVersion: 'v1',
  path: '/api/v1/namespaces',
  template: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { fuzz: 'yes' } } }),
};

// ---- mutations --------------------------------------------------------------------------------

type Container = Json[] | { [k: string]: Json };

/** Every (container, key) in a value, so a mutation can pick any field or element. */
function slots(v: Json, out: { parent: Container; key: string | number }[] = [], depth = 0): { parent: Container; key: string | number }[] {
  if (depth > 12 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) {
    v.forEach((c, i) => {
      out.push({ parent: v, key: i });
      slots(c, out, depth + 1);
    });
  } else {
    for (const k of Object.keys(v)) {
      out.push({ parent: v, key: k });
      slots(v[k]!, out, depth + 1);
    }
  }
  return out;
}

function setSlot(s: { parent: Container; key: string | number }, value: Json | undefined): void {
  if (Array.isArray(s.parent)) {
    if (value === undefined) s.parent.splice(Number(s.key), 1);
    else s.parent[Number(s.key)] = value;
  } else if (value === undefined) delete s.parent[String(s.key)];
  else s.parent[String(s.key)] = value;
}

function flipType(rng: Rng, v: Json): Json {
  const t = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  for (let i = 0; i < 8; i++) {
    const n = rng.pick<Json>([null, true, 0, 1.5, 'str', [], {}, [v], { v }, String(v), Number(v) || 7]);
    const nt = n === null ? 'null' : Array.isArray(n) ? 'array' : typeof n;
    if (nt !== t) return n;
  }
  return null;
}

function mutate(rng: Rng, obj: Json, fresh: () => string): void {
  const all = slots(obj);
  if (all.length === 0) return;
  const s = rng.pick(all);
  const cur = Array.isArray(s.parent) ? s.parent[Number(s.key)]! : s.parent[String(s.key)]!;
  switch (rng.int(12)) {
    case 0:
      return setSlot(s, flipType(rng, cur));
    case 1:
      return setSlot(s, undefined);
    case 2:
      return setSlot(s, null);
    case 3:
      return setSlot(s, rng.pick<Json>([1e308, -1e308, 2 ** 63, -(2 ** 63), 2 ** 53 + 1, `${RAW_PREFIX}${rng.pick(RAW_NUMBERS)}`, 4294967296, -1]));
    case 4:
      return setSlot(s, nest(rng, 1 + rng.int(100), cur));
    case 5:
      return setSlot(s, scalar(rng));
    case 6:
      return setSlot(s, randomJson(rng, 4));
    case 7: {
      // A unicode or otherwise odd name somewhere names are read.
      const meta = (obj as { metadata?: Json }).metadata;
      if (meta && typeof meta === 'object' && !Array.isArray(meta)) meta.name = rng.chance(0.3) ? fresh() + rng.pick(['', 'Ü', '名', '🚀', '.', '-', '_', ' ', '\u0000']) : rng.pick(STRINGS);
      return;
    }
    case 8:
      if (!Array.isArray(s.parent) && typeof s.key === 'string') s.parent[rng.pick(KEYS) + (rng.chance(0.5) ? '' : 'X')] = randomJson(rng, 2);
      return;
    case 9:
      if (Array.isArray(cur)) cur.push(...cur.map((c) => clone(c)));
      else setSlot(s, [cur, cur]);
      return;
    case 10:
      if (typeof cur === 'string') setSlot(s, cur + rng.pick(STRINGS).repeat(1 + rng.int(50)));
      else setSlot(s, flipType(rng, cur));
      return;
    default:
      return setSlot(s, rng.pick<Json>(['', 0, [], {}, false]));
  }
}

/** Mutations of the encoded bytes of a valid protobuf body. */
function mutateBytes(rng: Rng, buf: Buffer): Buffer {
  const b = Buffer.from(buf);
  switch (rng.int(8)) {
    case 0: {
      const n = 1 + rng.int(6);
      for (let i = 0; i < n; i++) b[4 + rng.int(Math.max(1, b.length - 4))] = rng.int(256);
      return b;
    }
    case 1:
      return b.subarray(0, rng.int(b.length));
    case 2: {
      const at = rng.int(b.length);
      const junk = Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)));
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    }
    case 3: {
      // A length or varint byte made huge: 0xff continuation bytes.
      const at = 4 + rng.int(Math.max(1, b.length - 4));
      return Buffer.concat([b.subarray(0, at), Buffer.alloc(1 + rng.int(10), 0xff), b.subarray(at + 1)]);
    }
    case 4:
      return Buffer.concat([b, b.subarray(4)]);
    case 5: {
      const at = rng.int(b.length);
      const len = rng.int(Math.max(1, b.length - at));
      return Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
    }
    case 6:
      return Buffer.concat([rng.chance(0.5) ? Buffer.from('k8s\0') : Buffer.from('k8s'), Buffer.from(Array.from({ length: rng.int(300) }, () => rng.int(256)))]);
    default: {
      b[rng.int(4)] = rng.int(256); // the magic
      return b;
    }
  }
}

// ---- requests -------------------------------------------------------------------------------

interface FuzzRequest {
  id: number;
  category: string;
  method: 'POST' | 'PUT' | 'PATCH';
  path: string;
  contentType?: string;
  body: Buffer;
}

const JSON_PATCH_PATHS = [
  '/data/x', '/data', '/metadata/labels/a', '/metadata/labels', '/metadata/name', '/metadata/namespace', '/metadata/uid', '/metadata/resourceVersion',
  '/metadata/finalizers/-', '/metadata/annotations/~1x', '/spec/containers/0/image', '/spec/containers/-', '/spec/containers/999999999999', '/spec/containers/-1',
  '/spec/replicas', '/spec/template/spec/containers/0', '/spec/ports/0/port', '/spec/clusterIP', '/status', '/kind', '/apiVersion', '', '/', '/~2', '/~', '/a/b/c/d',
  '/metadata/labels/名前', '/data/__proto__', '/__proto__/polluted', '/constructor/prototype/x', 'no-slash',
];

const QUERY = ['', '', '', '', '?dryRun=All', '?dryRun=junk', '?fieldValidation=Strict', '?fieldValidation=Warn', '?fieldValidation=Ignore', '?fieldValidation=bogus', '?fieldManager=fuzz', '?fieldManager=' + 'm'.repeat(200), '?pretty=true', '?force=true', '?resourceVersion=1', '?%zz=1'];

class Generator {
  private n = 0;
  private readonly protoCache = new Map<string, Buffer>();
  constructor(private readonly rng: Rng) {}

  fresh = (): string => `f${(this.n++).toString(36)}`;

  next(id: number): FuzzRequest {
    const rng = this.rng;
    const k = rng.chance(0.04) ? NAMESPACE_KIND : rng.pick(KINDS);
    const q = rng.pick(QUERY);
    const roll = rng.next();
    const json = (category: string, method: FuzzRequest['method'], path: string, v: Json, contentType = 'application/json'): FuzzRequest => ({
      id, category, method, path: path + q, contentType, body: Buffer.from(toText(rng, v)),
    });
    const victim = `${k.path}/victim`;
    if (k === NAMESPACE_KIND && roll >= 0.6) {
      // Namespaces have no victim; their patches and updates hit fresh (missing) names instead.
      const v = k.template(this.fresh());
      mutate(rng, v, this.fresh);
      return json('namespace-create-mutated', 'POST', k.path, v);
    }
    if (roll < 0.1) return json('create-random-json', 'POST', k.path, randomJson(rng, 1 + rng.int(8)));
    if (roll < 0.18) {
      const text = toText(rng, k.template(this.fresh()));
      const cut = rng.chance(0.6) ? text.slice(0, rng.int(text.length)) : flipChars(rng, text);
      return { id, category: 'create-broken-json', method: 'POST', path: k.path + q, contentType: 'application/json', body: Buffer.from(cut) };
    }
    if (roll < 0.46) {
      const v = k.template(this.fresh());
      const n = 1 + rng.int(4);
      for (let i = 0; i < n; i++) mutate(rng, v, this.fresh);
      return json('create-mutated', 'POST', k.path, v);
    }
    if (roll < 0.6) {
      return { id, category: 'create-protobuf-mutated', method: 'POST', path: k.path + q, contentType: 'application/vnd.kubernetes.protobuf', body: this.protobuf(k) };
    }
    if (roll < 0.65) {
      const ct = rng.pick(['text/plain', 'application/xml', 'application/yaml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/merge-patch+json', 'application/vnd.kubernetes.protobuf;stream=watch', 'APPLICATION/JSON', '*/*', 'application/', ';;;', 'a'.repeat(300)]);
      const v = k.template(this.fresh());
      const body = ct.includes('protobuf') ? encodeObject(v) : Buffer.from(ct === 'application/yaml' && rng.chance(0.5) ? yamlJunk(rng) : toText(rng, v));
      return { id, category: 'create-wrong-content-type', method: rng.chance(0.8) ? 'POST' : 'PUT', path: rng.chance(0.8) ? k.path + q : victim + q, contentType: ct, body };
    }
    if (roll < 0.74) {
      const patch: Json = rng.chance(0.6) ? this.partial(k) : randomJson(rng, 1 + rng.int(6));
      if (rng.chance(0.3) && typeof patch === 'object' && patch !== null) mutate(rng, patch, this.fresh);
      return json('patch-merge', 'PATCH', victim + this.sub(k), patch, 'application/merge-patch+json');
    }
    if (roll < 0.83) return json('patch-json', 'PATCH', victim + this.sub(k), this.jsonPatch(), 'application/json-patch+json');
    if (roll < 0.92) {
      const patch = this.partial(k);
      this.directives(patch);
      if (rng.chance(0.3)) mutate(rng, patch, this.fresh);
      return json('patch-strategic', 'PATCH', victim + this.sub(k), patch, 'application/strategic-merge-patch+json');
    }
    if (roll < 0.95) {
      const body = rng.chance(0.5) ? yamlJunk(rng) : toText(rng, this.partial(k));
      return { id, category: 'patch-apply', method: 'PATCH', path: `${victim}?fieldManager=${rng.pick(['fuzz', '', 'x'.repeat(200)])}${rng.chance(0.3) ? '&force=true' : ''}`, contentType: 'application/apply-patch+yaml', body: Buffer.from(body) };
    }
    if (roll < 0.97) {
      const ct = rng.pick(['application/json', 'text/plain', 'application/vnd.kubernetes.protobuf', '', 'application/merge-patch+json; charset=utf-8', 'application/json-patch+json;x=y']);
      return { id, category: 'patch-content-type', method: 'PATCH', path: victim + q, contentType: ct || undefined, body: Buffer.from(toText(rng, this.partial(k))) };
    }
    // Update of the victim with a mutated full object (name kept, sometimes resourceVersion junk).
    const v = k.template('victim');
    const n = rng.int(4);
    for (let i = 0; i < n; i++) mutate(rng, v, this.fresh);
    return json('update-victim-mutated', 'PUT', victim, v);
  }

  private sub(k: Kind): string {
    const r = this.rng.next();
    if (r < 0.08) return '/status';
    if (r < 0.12 && k.kind === 'Deployment') return '/scale';
    return '';
  }

  private protobuf(k: Kind): Buffer {
    const rng = this.rng;
    let base = this.protoCache.get(k.kind);
    if (!base) {
      base = encodeObject(k.template('pbtemplate'));
      this.protoCache.set(k.kind, base);
    }
    if (rng.chance(0.15)) {
      // A valid body with a fresh name, sometimes of another kind than the endpoint's.
      const other = rng.chance(0.3) ? rng.pick(KINDS) : k;
      const v = other.template(this.fresh());
      if (rng.chance(0.5)) mutate(rng, v, this.fresh);
      try {
        return encodeObject(v);
      } catch {
        return mutateBytes(rng, base);
      }
    }
    let b = mutateBytes(rng, base);
    if (rng.chance(0.2)) b = mutateBytes(rng, b);
    return b;
  }

  /** A partial object shaped like the kind (what a reasonable patch sends). */
  private partial(k: Kind): { [k: string]: Json } {
    const rng = this.rng;
    const t = k.template('victim');
    const out: { [k: string]: Json } = {};
    for (const key of Object.keys(t)) if (key !== 'apiVersion' && key !== 'kind' && rng.chance(0.5)) out[key] = t[key]!;
    if (rng.chance(0.3)) out.metadata = { labels: { [rng.pick(['a', 'b', 'c', 'app'])]: rng.chance(0.2) ? null : rng.pick(STRINGS) } };
    if (rng.chance(0.1)) out.metadata = { name: rng.pick(['other', 'victim', '']) };
    return out;
  }

  private directives(p: { [k: string]: Json }): void {
    const rng = this.rng;
    const where: { [k: string]: Json } = (p.spec && typeof p.spec === 'object' && !Array.isArray(p.spec) ? p.spec : p) as { [k: string]: Json };
    const d = rng.int(7);
    if (d === 0) where.$patch = rng.pick(['delete', 'replace', 'merge', 'junk', '', 5]);
    else if (d === 1) where['$setElementOrder/containers'] = rng.pick<Json>([[{ name: 'app' }, { name: 'ghost' }], [{}], 'x', null, [[1]]]);
    else if (d === 2) where.$retainKeys = rng.pick<Json>([['containers'], 'x', [1, null], {}]);
    else if (d === 3) p['$deleteFromPrimitiveList/finalizers'] = rng.pick<Json>([['a'], 'x', [{}], null]);
    else if (d === 4) where.containers = [{ $patch: rng.pick(['delete', 'replace', 'junk']), name: rng.pick(['app', 'ghost', '']) }, ...(rng.chance(0.5) ? [{ name: 'app', image: 'x' }] : [])];
    else if (d === 5) where.containers = rng.pick<Json>([[{ image: 'no-name' }], [null], [1, 'a'], {}, 'str', [{ name: { x: 1 } }]]);
    else p[rng.pick(['$patch', '$unknownDirective', 'metadata'])] = randomJson(rng, 3);
  }

  private jsonPatch(): Json {
    const rng = this.rng;
    if (rng.chance(0.1)) return randomJson(rng, 4);
    const ops: Json[] = [];
    const n = rng.int(6);
    for (let i = 0; i < n; i++) {
      const op: { [k: string]: Json } = {};
      if (rng.chance(0.95)) op.op = rng.pick<Json>(['add', 'remove', 'replace', 'move', 'copy', 'test', 'junk', 123, null, 'ADD']);
      if (rng.chance(0.95)) op.path = rng.chance(0.9) ? rng.pick(JSON_PATCH_PATHS) : scalar(rng);
      if (rng.chance(0.7)) op.value = rng.chance(0.5) ? scalar(rng) : randomJson(rng, 3);
      if (rng.chance(0.3)) op.from = rng.pick(JSON_PATCH_PATHS);
      ops.push(rng.chance(0.05) ? scalar(rng) : op);
    }
    return ops;
  }
}

function flipChars(rng: Rng, s: string): string {
  const a = s.split('');
  const n = 1 + rng.int(5);
  for (let i = 0; i < n && a.length; i++) a[rng.int(a.length)] = rng.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'x', '9', ' ', '\ud800']);
  return a.join('');
}

function yamlJunk(rng: Rng): string {
  return rng.pick([
    'a: &a [1,2]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: victim\ndata:\n  a: !!binary aGk=\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: victim}\ndata: {a: 1, b: [1], c: {d: e}}\n',
    '- just\n- a\n- list\n',
    ': : :\n\t- bad\n',
    'key: "unterminated\n',
    '--- a\n--- b\n',
    'a: !!js/function "function(){}"\n',
    '? [complex, key]\n: value\n',
    '~',
    '',
    '%YAML 9.9\n---\na: 1\n',
    `a: ${'['.repeat(90)}${']'.repeat(90)}\n`,
  ]);
}

// ---- sending ----------------------------------------------------------------------------------

interface Outcome {
  req: FuzzRequest;
  status?: number;
  text?: string;
  error?: string;
}

function send(base: URL, agent: http.Agent, req: FuzzRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Omit<Outcome, 'req'>): void => {
      if (!settled) {
        settled = true;
        resolve({ req, ...o });
      }
    };
    const headers: Record<string, string | number> = { 'Content-Length': req.body.length, Accept: 'application/json' };
    if (req.contentType !== undefined) headers['Content-Type'] = req.contentType;
    let r: http.ClientRequest;
    try {
      r = http.request({ host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => done({ status: res.statusCode, error: `response aborted: ${err.message}` }));
      });
    } catch (err) {
      // Node refused to send it (an invalid header): not the server's fault, and not counted.
      done({ error: `client-side: ${(err as Error).message}` });
      return;
    }
    r.on('timeout', () => {
      r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`));
    });
    r.on('error', (err) => done({ error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim() }));
    r.end(req.body);
  });
}

function describeRequest(o: Outcome): string {
  const { req } = o;
  const utf8 = req.body.toString('utf8');
  const printable = Buffer.from(utf8, 'utf8').equals(req.body) && !/[\u0000-\u0008\u000e-\u001f]/.test(utf8);
  const body = printable
    ? `body (utf8, ${req.body.length} bytes): ${utf8.length > 2000 ? `${utf8.slice(0, 2000)}…` : utf8}`
    : `body (base64, ${req.body.length} bytes): ${req.body.toString('base64').slice(0, 3000)}`;
  const answer = o.error !== undefined ? `error: ${o.error}` : `HTTP ${o.status}: ${(o.text ?? '').slice(0, 400)}`;
  return `#${req.id} [${req.category}] ${req.method} ${req.path}\n  Content-Type: ${req.contentType ?? '(none)'}\n  ${body}\n  -> ${answer}`;
}

function statusProblem(o: Outcome): string | undefined {
  let s: unknown;
  try {
    s = JSON.parse(o.text ?? '');
  } catch {
    return 'body is not JSON';
  }
  if (typeof s !== 'object' || s === null) return 'body is not an object';
  const st = s as { kind?: unknown; apiVersion?: unknown; status?: unknown; code?: unknown };
  if (st.kind !== 'Status') return `kind is ${JSON.stringify(st.kind)}`;
  if (st.status !== 'Failure') return `status is ${JSON.stringify(st.status)}`;
  if (typeof st.code !== 'number' || st.code !== o.status) return `code ${JSON.stringify(st.code)} != HTTP ${o.status}`;
  return undefined;
}

/** Groups failures by a signature and prints the shortest request of each group exactly. */
function report(title: string, items: Outcome[], signature: (o: Outcome) => string): string {
  const groups = new Map<string, Outcome[]>();
  for (const o of items) {
    const k = signature(o);
    const g = groups.get(k) ?? [];
    g.push(o);
    groups.set(k, g);
  }
  const lines = [`${title}: ${items.length} request(s) in ${groups.size} group(s) (seed ${SEED}); the shortest request of each:`];
  for (const [k, g] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    const cats = [...new Set(g.map((o) => o.req.category))].join(', ');
    const shortest = g.reduce((a, b) => (b.req.body.length < a.req.body.length ? b : a));
    lines.push(`== ${k} — ${g.length}x in ${cats}`, describeRequest(shortest));
  }
  return lines.join('\n');
}

/** Every failing request in full, one JSON line each (body in base64), for replaying. */
function writeRepro(name: string, items: Outcome[]): string {
  const file = join(tmpdir(), `capstan-fuzz-${SEED}-${name}.jsonl`);
  writeFileSync(
    file,
    items.map((o) => JSON.stringify({ id: o.req.id, category: o.req.category, method: o.req.method, path: o.req.path, contentType: o.req.contentType, bodyBase64: o.req.body.toString('base64'), status: o.status, error: o.error, response: o.text?.slice(0, 2000) })).join('\n') + '\n',
  );
  return file;
}

/** The message of a Status body, with quoted values elided so one bug makes one group. */
function messageSignature(o: Outcome): string {
  if (o.status === undefined) return `no answer: ${o.error}`;
  let msg = o.text ?? '';
  try {
    msg = String((JSON.parse(msg) as { message?: unknown }).message ?? msg);
  } catch {
    // keep the raw text
  }
  msg = msg
    .replace(/"[^"]*"/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b(number|boolean|string) \S+ is not iterable/, '$1 … is not iterable')
    .replace(/ in \S+$/, ' in …')
    .replace(/on (number|string|boolean) '…'/, "on a $1")
    .replace(/\(\S+ \?\? \[\]\)/, '(… ?? [])');
  return `HTTP ${o.status}: ${msg.slice(0, 160)}`;
}

// ---- the test -----------------------------------------------------------------------------------

describe('API fuzzing', { skip }, () => {
  const c = new Cluster();
  const outcomes: Outcome[] = [];
  const snapshot = new Map<string, string>();
  const keepPaths: string[] = [];
  let elapsedMs = 0;

  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const r = await fetch(`${c.url}${path}`, { headers: { Accept: 'application/json' } });
    return { status: r.status, text: await r.text() };
  };

  before(async () => {
    await c.start();
    const must = async (method: string, path: string, body: unknown): Promise<void> => {
      const r = await c.request(method, path, body);
      assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    };
    await must('POST', '/api/v1/namespaces', NAMESPACE_KIND.template(NS));
    await must('POST', '/api/v1/namespaces', NAMESPACE_KIND.template('bystander'));
    for (const k of KINDS) {
      await must('POST', k.path, k.template('victim'));
      await must('POST', k.path, k.template('keep'));
      await must('POST', k.path.replace(`/namespaces/${NS}/`, '/namespaces/bystander/'), k.template('keep'));
      keepPaths.push(`${k.path}/keep`, `${k.path.replace(`/namespaces/${NS}/`, '/namespaces/bystander/')}/keep`);
    }
    keepPaths.push('/api/v1/namespaces/default', '/api/v1/namespaces/bystander', `/api/v1/namespaces/${NS}`);
    for (const p of keepPaths) {
      const r = await get(p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      snapshot.set(p, r.text);
    }
  });
  after(async () => {
    await c.destroy();
  });

  test(`feeds ${COUNT} random and mutated bodies (seed ${SEED})`, async () => {
    console.log(`# fuzz seed: ${SEED} (FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT} to reproduce)`);
    const gen = new Generator(new Rng(SEED));
    const base = new URL(c.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let next = 0;
    const t0 = Date.now();
    const worker = async (): Promise<void> => {
      for (;;) {
        const id = next++;
        if (id >= COUNT) return;
        outcomes.push(await send(base, agent, gen.next(id)));
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    } finally {
      agent.destroy();
    }
    elapsedMs = Date.now() - t0;
    const byCategory = new Map<string, Map<string, number>>();
    for (const o of outcomes) {
      const m = byCategory.get(o.req.category) ?? new Map<string, number>();
      const k = o.status === undefined ? 'error' : String(o.status);
      m.set(k, (m.get(k) ?? 0) + 1);
      byCategory.set(o.req.category, m);
    }
    for (const [cat, m] of [...byCategory].sort()) console.log(`# ${cat.padEnd(26)} ${[...m].sort().map(([s, n]) => `${s}:${n}`).join(' ')}`);
    console.log(`# ${outcomes.length} requests in ${elapsedMs} ms`);
    assert.equal(outcomes.length, COUNT);
  });

  test('no request got a 5xx or a dropped connection', () => {
    const bad = outcomes.filter((o) => !o.error?.startsWith('client-side') && (o.status === undefined || o.status >= 500 || o.status < 200 || (o.status >= 300 && o.status < 400)));
    if (bad.length) console.log(`${report('5xx or dropped', bad, messageSignature)}\nall of them: ${writeRepro('5xx', bad)}`);
    assert.equal(bad.length, 0, `${bad.length} request(s) got a 5xx or no answer; see the log above for each group's shortest request`);
  });

  test('every 4xx is a Status with status Failure and the HTTP code', () => {
    const bad = outcomes.filter((o) => o.status !== undefined && o.status >= 400 && o.status < 500 && statusProblem(o) !== undefined);
    const sig = (o: Outcome): string => `HTTP ${o.status}: ${statusProblem(o)}`;
    if (bad.length) console.log(`${report('malformed 4xx', bad, sig)}\nall of them: ${writeRepro('4xx', bad)}`);
    assert.equal(bad.length, 0, `${bad.length} 4xx answer(s) were not a proper Status; see the log above`);
  });

  test('every 2xx answer is a well-formed object (string name, the right namespace, string labels)', () => {
    // Not a crash, but the same root cause: a body of the wrong shape that is stored as it came.
    const problem = (o: Outcome): string | undefined => {
      let v: unknown;
      try {
        v = JSON.parse(o.text ?? '');
      } catch {
        return 'body is not JSON';
      }
      const obj = v as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; labels?: unknown } };
      if (typeof obj?.kind !== 'string') return 'kind is not a string';
      const m = obj.metadata;
      if (typeof m?.name !== 'string' || m.name === '') return `metadata.name is ${JSON.stringify(m?.name)}`;
      if (obj.kind !== 'Namespace' && obj.kind !== 'Scale' && m.namespace !== NS) return `metadata.namespace is ${JSON.stringify(m.namespace)}`;
      if (m.labels !== undefined && (typeof m.labels !== 'object' || m.labels === null || Object.values(m.labels).some((x) => typeof x !== 'string'))) return 'metadata.labels is not a map of strings';
      return undefined;
    };
    const bad = outcomes.filter((o) => o.status !== undefined && o.status >= 200 && o.status < 300 && problem(o) !== undefined);
    const sig = (o: Outcome): string => `HTTP ${o.status}: ${problem(o)?.replace(/is .*$/, 'is wrong')}`;
    if (bad.length) console.log(`${report('ill-formed 2xx', bad, sig)}\nall of them: ${writeRepro('2xx', bad)}`);
    assert.equal(bad.length, 0, `${bad.length} 2xx answer(s) stored an ill-formed object; see the log above`);
  });

  test('deeply nested bodies (200 to 20,000 levels) are answered with 2xx or 4xx', async () => {
    const deep = (d: number): string => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`;
    const cm = KINDS[0]!;
    const bad: Outcome[] = [];
    let id = -1;
    for (const d of [200, 1000, 5000, 20_000]) {
      const reqs: FuzzRequest[] = [
        { id: id--, category: `deep-${d}-create`, method: 'POST', path: cm.path, contentType: 'application/json', body: Buffer.from(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep${d}"},"x":${deep(d)}}`) },
        { id: id--, category: `deep-${d}-merge`, method: 'PATCH', path: `${cm.path}/victim`, contentType: 'application/merge-patch+json', body: Buffer.from(`{"x":${deep(d)}}`) },
        { id: id--, category: `deep-${d}-strategic`, method: 'PATCH', path: `${cm.path}/victim`, contentType: 'application/strategic-merge-patch+json', body: Buffer.from(`{"x":${deep(d)}}`) },
        { id: id--, category: `deep-${d}-json-patch`, method: 'PATCH', path: `${cm.path}/victim`, contentType: 'application/json-patch+json', body: Buffer.from(`[{"op":"add","path":"/x","value":${deep(d)}}]`) },
      ];
      const agent = new http.Agent({ keepAlive: false });
      for (const r of reqs) {
        const o = await send(new URL(c.url), agent, r);
        if (o.status === undefined || o.status >= 500) bad.push(o);
      }
      agent.destroy();
    }
    if (bad.length) console.log(report('deep nesting', bad, (o) => `${o.req.category.replace(/^deep-\d+-/, '')}: ${messageSignature(o)}`));
    assert.deepEqual(bad.map((o) => `${o.req.category}: ${o.status ?? o.error}`), []);
  });

  test('the server logged no internal errors', () => {
    const lines = c.logs.split('\n').filter((l) => /^internal error/i.test(l));
    assert.equal(lines.length, 0, `${lines.length} internal error(s) logged, e.g.:\n${[...new Set(lines)].slice(0, 10).join('\n')}`);
  });

  test('the server is still healthy', async () => {
    for (const p of ['/healthz', '/readyz', '/livez']) {
      const r = await get(p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
    }
    const list = await get(`/api/v1/namespaces/${NS}/configmaps?limit=5`);
    assert.equal(list.status, 200, list.text);
  });

  test('objects the fuzzer did not address are byte-for-byte unchanged', async () => {
    // `capstan server` runs no controllers today; if it starts to (a scheduler binding keep Pods,
    // a deployment controller writing status), compare spec/data only for those kinds.
    const changed: string[] = [];
    for (const p of keepPaths) {
      const r = await get(p);
      if (r.status !== 200 || r.text !== snapshot.get(p)) changed.push(`${p}: ${r.status}\n  before: ${snapshot.get(p)}\n  after:  ${r.text}`);
    }
    assert.deepEqual(changed, []);
  });

  test('the run stayed within its time budget', () => {
    assert.ok(elapsedMs < 60_000, `${COUNT} requests took ${elapsedMs} ms`);
  });
});
