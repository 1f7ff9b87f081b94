// The pod-template-hash: the suffix of a Deployment's ReplicaSet names and the value of the
// `pod-template-hash` label that keeps ReplicaSets of one Deployment from selecting each other's
// pods. Upstream hashes the template's Go-printed form with FNV-32a, appends collisionCount (as 8
// little-endian bytes) when set, and renders the decimal hash through rand.SafeEncodeString (an
// alphabet without vowels or look-alike characters). We hash a canonical JSON form (keys sorted)
// instead of Go's printer, so our hashes are stable and deterministic but not byte-identical to
// upstream's; nothing depends on that beyond names looking the same.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** upstream rand.SafeEncodeString. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** FNV-1a, 32 bits, over bytes. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** JSON with object keys sorted at every level, undefined members dropped. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  const rec = v as Record<string, unknown>;
  const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`).join(',')}}`;
}

export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const text = new TextEncoder().encode(canonicalJson(template ?? {}));
  let h = fnv32a(text);
  if (collisionCount !== undefined && collisionCount !== null) {
    const extra = new Uint8Array(8);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(extra, h);
  }
  return safeEncodeString(String(h));
}
