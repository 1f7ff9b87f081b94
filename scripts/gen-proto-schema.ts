// Generates src/api/protobuf/schema.json: the field table of the Kubernetes protobuf messages that
// the API server decodes and encodes (application/vnd.kubernetes.protobuf).
//
// It reads upstream source trees for facts only — message names, field names, numbers and types from
// each package's generated.proto, and from the Go struct tags beside them the JSON name of each
// field, whether it is `json:",inline"` and whether it is a non-pointer scalar with `omitempty` (Go
// always writes those to the wire, so a zero must be dropped to get the JSON shape back). The output
// holds names, numbers and types, and no upstream text.
//
// Last run (from /work/main), against kubernetes/api and kubernetes/apimachinery at tag v0.32.13
// (Kubernetes 1.32; api 67a30ffc59c51566a502318fe0275fed1af3fdb7, apimachinery 59e9003f02d6f0c8fff53719a7a0604ec82ee9a9):
//
//   mkdir -p /tmp/k8ssrc/api /tmp/k8ssrc/apimachinery
//   git -C <api.git> archive v0.32.13 | tar -x -C /tmp/k8ssrc/api
//   git -C <apimachinery.git> archive v0.32.13 | tar -x -C /tmp/k8ssrc/apimachinery
//   npm run gen:proto-schema -- --api /tmp/k8ssrc/api --apimachinery /tmp/k8ssrc/apimachinery --ref v0.32.13
//
// Output format (see src/api/protobuf/codec.ts, its only reader):
//   { ref, kinds: { "<apiVersion>": { "<Kind>": "<message>" } },
//     messages: { "<full message name>": { fields: [ { name, id, type, rule?, keyType?, json?, inline?, omitEmpty? } ], array? } } }
// `json` is present only where the JSON name differs from the proto name; `array` marks a message that is
// a Go slice type (e.g. meta.v1.Verbs) and so is a bare JSON array of its `items`.
import { readFileSync, readdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs as parseCliArgs } from 'node:util';

interface Pkg { root: 'api' | 'apimachinery'; dir: string; group?: string; version?: string }

// The group versions we serve, plus the apimachinery packages they depend on.
const PACKAGES: Pkg[] = [
  { root: 'apimachinery', dir: 'pkg/apis/meta/v1', group: 'meta.k8s.io', version: 'v1' },
  { root: 'apimachinery', dir: 'pkg/runtime' },
  { root: 'apimachinery', dir: 'pkg/api/resource' },
  { root: 'apimachinery', dir: 'pkg/util/intstr' },
  ...[
    'core/v1', 'apps/v1', 'batch/v1', 'coordination/v1', 'discovery/v1', 'events/v1', 'scheduling/v1',
    'policy/v1', 'autoscaling/v1', 'autoscaling/v2', 'storage/v1', 'rbac/v1', 'networking/v1',
    'authentication/v1', 'authorization/v1', 'certificates/v1', 'admissionregistration/v1', 'node/v1',
    'flowcontrol/v1',
  ].map((dir): Pkg => ({ root: 'api', dir })),
];

const SCALARS = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes']);

interface Field {
  name: string; id: number; type: string; rule?: 'repeated' | 'map'; keyType?: string;
  json?: string; inline?: true; omitEmpty?: true;
}
interface Message { fields: Field[]; array?: true }

function parseArgs(argv: string[]): { api: string; apimachinery: string; ref: string; out: string } {
  const { values } = parseCliArgs({
    args: argv,
    options: { api: { type: 'string' }, apimachinery: { type: 'string' }, ref: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.api || !values.apimachinery) {
    throw new Error('usage: gen-proto-schema --api DIR --apimachinery DIR [--ref TAG] [--out FILE]');
  }
  return {
    api: resolve(values.api), apimachinery: resolve(values.apimachinery), ref: values.ref ?? 'unknown',
    out: resolve(values.out ?? 'src/api/protobuf/schema.json'),
  };
}

/** Strips // and /* *\/ comments so only declarations remain. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

function parseProto(text: string, messages: Map<string, Message>): string {
  const src = stripComments(text);
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(src)?.[1];
  if (!pkg) throw new Error('proto without package');
  const qualify = (t: string): string => {
    if (SCALARS.has(t)) return t;
    if (t.startsWith('.')) return t.slice(1);
    return `${pkg}.${t}`;
  };
  const msgRe = /message\s+(\w+)\s*\{([^{}]*)\}/g;
  for (let m = msgRe.exec(src); m; m = msgRe.exec(src)) {
    const fields: Field[] = [];
    for (const raw of m[2].split(';')) {
      const line = raw.trim().replace(/\s+/g, ' ');
      if (!line) continue;
      let f = /^map ?< ?(\w+) ?, ?([\w.]+) ?> (\w+) = (\d+)$/.exec(line);
      if (f) {
        fields.push({ name: f[3], id: Number(f[4]), type: qualify(f[2]), rule: 'map', keyType: f[1] });
        continue;
      }
      f = /^(optional|repeated|required) ([\w.]+) (\w+) = (\d+)(?: \[.*\])?$/.exec(line);
      if (!f) throw new Error(`${pkg}.${m[1]}: cannot parse field "${line}"`);
      const field: Field = { name: f[3], id: Number(f[4]), type: qualify(f[2]) };
      if (f[1] === 'repeated') field.rule = 'repeated';
      fields.push(field);
    }
    fields.sort((a, b) => a.id - b.id);
    messages.set(`${pkg}.${m[1]}`, { fields });
  }
  return pkg;
}

interface GoField { goType: string; json?: string; omitempty: boolean; inline: boolean }

/** Reads Go struct tags: struct name -> protobuf field number -> JSON facts. Also Go slice types. */
function parseGo(dir: string): { structs: Map<string, Map<number, GoField>>; slices: Set<string>; kinds: Set<string> } {
  const structs = new Map<string, Map<number, GoField>>();
  const slices = new Set<string>();
  const kinds = new Set<string>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.go') || file.endsWith('_test.go')) continue;
    const src = readFileSync(join(dir, file), 'utf8');
    if (file === 'register.go') for (const k of src.matchAll(/&(\w+)\{\}/g)) kinds.add(k[1]);
    for (const s of src.matchAll(/^type (\w+) \[\]/gm)) slices.add(s[1]);
    const structRe = /^type (\w+) struct \{\n([\s\S]*?)^\}/gm;
    for (const s of src.matchAll(structRe)) {
      const fields = new Map<number, GoField>();
      for (const line of s[2].split('\n')) {
        const m = /^\s*(?:(\w+)\s+)?([^\s`]+)\s+`([^`]*)`/.exec(line);
        if (!m) continue;
        const tags = m[3];
        const pb = /protobuf:"\w+,(\d+),/.exec(tags);
        if (!pb) continue;
        const js = /json:"([^"]*)"/.exec(tags)?.[1] ?? '';
        const [jsonName, ...jsonOpts] = js.split(',');
        fields.set(Number(pb[1]), {
          goType: m[2], json: jsonName || undefined,
          omitempty: jsonOpts.includes('omitempty'), inline: jsonOpts.includes('inline'),
        });
      }
      structs.set(s[1], fields);
    }
  }
  return { structs, slices, kinds };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const messages = new Map<string, Message>();
  const kinds: Record<string, Record<string, string>> = {};
  // Fields without a Go struct tag: custom-marshalled types (Time, Quantity, IntOrString, ...) the codec special-cases.
  const unmatched: string[] = [];
  for (const p of PACKAGES) {
    const dir = join(p.root === 'api' ? args.api : args.apimachinery, p.dir);
    const protoFile = join(dir, 'generated.proto');
    if (!existsSync(protoFile)) throw new Error(`missing ${protoFile}`);
    const local = new Map<string, Message>();
    const pkg = parseProto(readFileSync(protoFile, 'utf8'), local);
    const go = parseGo(dir);
    for (const [full, msg] of local) {
      const short = full.slice(pkg.length + 1);
      if (go.slices.has(short)) msg.array = true;
      const goFields = go.structs.get(short);
      for (const f of msg.fields) {
        const g = goFields?.get(f.id);
        if (!g) {
          unmatched.push(`${full}.${f.name}`);
          continue;
        }
        if (g.inline) f.inline = true;
        else if (g.json && g.json !== f.name) f.json = g.json;
        const valueScalar = SCALARS.has(f.type) && f.type !== 'bytes' && !f.rule &&
          !g.goType.startsWith('*') && !g.goType.startsWith('[]') && !g.goType.startsWith('map[');
        if (valueScalar && g.omitempty) f.omitEmpty = true;
      }
      messages.set(full, msg);
    }
    let group = p.group;
    let version = p.version;
    if (p.root === 'api') {
      const register = readFileSync(join(dir, 'register.go'), 'utf8');
      const g = /const GroupName = "([\w.-]*)"/.exec(register);
      if (!g) throw new Error(`${dir}: no GroupName in register.go`);
      group = g[1];
      version = p.dir.split('/')[1];
    }
    if (group !== undefined && version) {
      const apiVersion = group === '' ? version : `${group}/${version}`;
      const table: Record<string, string> = {};
      for (const k of [...go.kinds].sort()) if (local.has(`${pkg}.${k}`)) table[k] = `${pkg}.${k}`;
      kinds[apiVersion] = table;
    }
  }
  // Every referenced message must be present, or the codec would fail at load time.
  for (const [name, msg] of messages) {
    for (const f of msg.fields) {
      if (!SCALARS.has(f.type) && !messages.has(f.type)) throw new Error(`${name}.${f.name}: unknown type ${f.type}`);
    }
  }
  if (unmatched.length) console.log(`fields without Go struct tags (kept under their proto names): ${unmatched.join(', ')}`);
  const sorted: Record<string, Message> = {};
  for (const name of [...messages.keys()].sort()) sorted[name] = messages.get(name)!;
  const out = JSON.stringify({ ref: args.ref, kinds, messages: sorted });
  writeFileSync(args.out, out + '\n');
  console.log(`wrote ${args.out}: ${messages.size} messages, ${Object.keys(kinds).length} group versions, ${statSync(args.out).size} bytes`);
}

main();
