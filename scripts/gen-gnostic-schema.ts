// Generates src/api/protobuf/openapi_v2_schema.json: the message table of gnostic's OpenAPI v2 model
// (package `openapi.v2`), the protobuf form of /openapi/v2 that kubectl before 1.27 and client-go's
// openapi client ask for (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`).
//
// It reads the upstream `openapiv2/OpenAPIv2.proto` for facts only — message names, field names,
// numbers, types and oneof groups — and writes them as a protobufjs JSON descriptor (the shape
// `protobuf.Root.fromJSON` takes). Comments and options are dropped; no upstream text is kept.
// The one import, `google/protobuf/any.proto`, is the well-known `google.protobuf.Any`
// {type_url = 1, value = 2}, written here directly.
//
// Last run (from /work/main), against google/gnostic at e0e09f70628157dc0db87ed60a109465ae62723b
// (the file is unchanged since v0.6.x, which is what kubectl 1.27's gnostic-models ships):
//
//   git -C <gnostic.git> show e0e09f70628157dc0db87ed60a109465ae62723b:openapiv2/OpenAPIv2.proto > /tmp/OpenAPIv2.proto
//   npx tsx scripts/gen-gnostic-schema.ts --proto /tmp/OpenAPIv2.proto --ref e0e09f70628157dc0db87ed60a109465ae62723b
//
// Output format (see src/api/protobuf/openapi_v2.ts, its only reader):
//   { ref, nested: { openapi: { nested: { v2: { nested: { "<Message>": { fields: { "<name>": { type, id, rule? } },
//     oneofs?: { "<group>": { oneof: ["<field>", ...] } } } } } } }, google: { nested: { protobuf: ... } } } }
// Every message is proto3 (protobufjs' default for JSON descriptors); field names keep the .proto's snake_case.
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs as parseCliArgs } from 'node:util';

const SCALARS = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes']);

interface Field { type: string; id: number; rule?: 'repeated' }
interface Message { fields: Record<string, Field>; oneofs?: Record<string, { oneof: string[] }> }

function parseArgs(argv: string[]): { proto: string; ref: string; out: string } {
  const { values } = parseCliArgs({ args: argv, options: { proto: { type: 'string' }, ref: { type: 'string' }, out: { type: 'string' } } });
  if (!values.proto) throw new Error('usage: gen-gnostic-schema --proto FILE [--ref COMMIT] [--out FILE]');
  return {
    proto: resolve(values.proto), ref: values.ref ?? 'unknown',
    out: resolve(values.out ?? 'src/api/protobuf/openapi_v2_schema.json'),
  };
}

/** Strips // and /* *\/ comments so only declarations remain. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** Splits the file into top-level `message Name { ... }` bodies, following nested braces (oneof blocks). */
function topLevelMessages(src: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const re = /\bmessage\s+(\w+)\s*\{/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === '{') depth++;
      else if (src[i] === '}') depth--;
    }
    if (depth !== 0) throw new Error(`message ${m[1]}: unbalanced braces`);
    const body = src.slice(re.lastIndex, i - 1);
    if (/\b(message|enum)\s+\w+\s*\{/.test(body)) throw new Error(`message ${m[1]}: nested declarations are not supported`);
    out.push([m[1], body]);
    re.lastIndex = i;
  }
  return out;
}

function parseFields(owner: string, body: string, qualify: (t: string) => string, into: Message, group?: string): void {
  for (const raw of body.split(';')) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (!line) continue;
    const f = /^(repeated )?([\w.]+) (\w+) = (\d+)(?: \[.*\])?$/.exec(line);
    if (!f) throw new Error(`${owner}: cannot parse field "${line}"`);
    if (group && f[1]) throw new Error(`${owner}: repeated field in oneof ${group}`);
    const field: Field = { type: qualify(f[2]), id: Number(f[4]) };
    if (f[1]) field.rule = 'repeated';
    if (into.fields[f[3]]) throw new Error(`${owner}: duplicate field ${f[3]}`);
    into.fields[f[3]] = field;
    if (group) ((into.oneofs ??= {})[group] ??= { oneof: [] }).oneof.push(f[3]);
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const src = stripComments(readFileSync(args.proto, 'utf8'));
  if (!/^\s*syntax\s*=\s*"proto3"\s*;/m.test(src)) throw new Error('expected a proto3 file');
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(src)?.[1];
  if (pkg !== 'openapi.v2') throw new Error(`expected package openapi.v2, found ${pkg}`);
  const imports = [...src.matchAll(/^\s*import\s+"([^"]+)"\s*;/gm)].map((m) => m[1]);
  for (const i of imports) if (i !== 'google/protobuf/any.proto') throw new Error(`unsupported import ${i}`);
  if (/^\s*enum\s/m.test(src)) throw new Error('top-level enums are not supported');

  const local = new Set(topLevelMessages(src).map(([name]) => name));
  const qualify = (t: string): string => {
    if (SCALARS.has(t)) return t;
    if (t === 'google.protobuf.Any') return '.google.protobuf.Any';
    if (local.has(t)) return t; // resolved relative to openapi.v2
    throw new Error(`unknown type ${t}`);
  };

  const messages: Record<string, Message> = {};
  for (const [name, body] of topLevelMessages(src).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const msg: Message = { fields: {} };
    const oneofRe = /\boneof\s+(\w+)\s*\{([^{}]*)\}/g;
    parseFields(name, body.replace(oneofRe, ''), qualify, msg);
    for (const o of body.matchAll(oneofRe)) parseFields(name, o[2], qualify, msg, o[1]);
    // Field order by number, as in the .proto, so the JSON diffs cleanly.
    msg.fields = Object.fromEntries(Object.entries(msg.fields).sort((a, b) => a[1].id - b[1].id));
    messages[name] = msg;
  }
  const out = {
    ref: args.ref,
    nested: {
      openapi: { nested: { v2: { nested: messages } } },
      google: { nested: { protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } } } },
    },
  };
  writeFileSync(args.out, JSON.stringify(out) + '\n');
  console.log(`wrote ${args.out}: ${Object.keys(messages).length} messages, ${statSync(args.out).size} bytes`);
}

main();
