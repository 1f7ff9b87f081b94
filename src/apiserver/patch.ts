// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902, via fast-json-patch), and
// strategic merge patch, the Kubernetes dialect that `kubectl edit` and client-side `kubectl apply`
// send: lists of objects with a merge key (containers by name, ports by containerPort, ...) merge
// element by element instead of being replaced, and `$patch`, `$setElementOrder/...`,
// `$deleteFromPrimitiveList/...` and `$retainKeys` directives steer the merge.
import fjp from 'fast-json-patch';
import { badRequest, ApiError } from '../api/errors.js';

export type PatchType = 'json' | 'merge' | 'strategic';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): unknown {
  switch (type) {
    case 'merge':
      if (!isObject(patch)) throw badRequest('merge patch must be a JSON object');
      return mergePatch(target as Json, patch);
    case 'json':
      return jsonPatch(target, patch);
    case 'strategic':
      if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
      return strategicMerge(target as Json, patch, []);
  }
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

function jsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json patch must be a JSON array of operations');
  // Both steps can throw on hostile input (a path through `__proto__`, say): that is the
  // client's error, never a 500.
  try {
    const err = fjp.validate(patch as fjp.Operation[], structuredClone(target));
    if (err) throw err;
    return fjp.applyPatch(structuredClone(target), patch as fjp.Operation[], true, true).newDocument;
  } catch (e) {
    throw jsonPatchError(e);
  }
}

function jsonPatchError(e: unknown): ApiError {
  const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  return new ApiError({ code: 422, reason: 'Invalid', message: `the server rejected our request due to an error in our request: ${msg}` });
}

// ---- strategic merge ------------------------------------------------------------------------

/**
 * Merge keys of the built-in types' lists, by field name; a path suffix wins over the bare name
 * where the same field name means different things (a Service's ports merge by `port`, a
 * container's by `containerPort`). Facts from the Kubernetes API's patch-merge-key tags.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ports: 'containerPort',
  'spec.ports': 'port',
  'status.loadBalancer.ingress': 'ip',
  ownerReferences: 'uid',
  taints: 'key',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
};

/** Lists of primitives that merge as sets (patchStrategy "merge"). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(path: string[]): string | undefined {
  const name = path[path.length - 1]!;
  const joined = path.join('.');
  for (const [suffix, key] of Object.entries(MERGE_KEYS)) {
    if (suffix.includes('.') && (joined === suffix || joined.endsWith(`.${suffix}`))) return key;
  }
  // Only a Service's top-level spec.ports merges by port; a pod template's containers' ports by containerPort.
  return MERGE_KEYS[name];
}

function strategicMerge(target: Json, patch: JsonObject, path: string[]): Json {
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return {};
  if (patch.$patch !== undefined && patch.$patch !== 'merge') {
    throw badRequest(`Unknown patch type: ${String(patch.$patch)}`);
  }
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => d === x));
      continue;
    }
    if (k.startsWith('$')) throw badRequest(`unknown patch directive: ${k}`);
    const childPath = [...path, k];
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = mergeList(out[k], v, childPath, patch[`$setElementOrder/${k}`]);
    } else if (isObject(v)) {
      out[k] = strategicMerge(out[k] ?? null, v, childPath);
    } else {
      out[k] = v;
    }
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(current: Json | undefined, patch: Json[], path: string[], order: Json | undefined): Json[] {
  const name = path[path.length - 1]!;
  const cur = Array.isArray(current) ? current : [];
  if (MERGED_PRIMITIVE_LISTS.has(name) && patch.every((x) => !isObject(x))) {
    const merged = [...cur];
    for (const x of patch) if (!merged.includes(x)) merged.push(x);
    return merged;
  }
  const key = mergeKeyFor(path);
  if (!key || !patch.every(isObject)) {
    // No merge key: the patch's list replaces the old one (directives inside are removed).
    return patch.filter((x) => !(isObject(x) && x.$patch === 'delete')).map(stripDirectives);
  }
  if (patch.some((x) => isObject(x) && x.$patch === 'replace')) {
    return patch.filter((x) => !(isObject(x) && x.$patch === 'replace')).map(stripDirectives);
  }
  const result: Json[] = cur.map((x) => x);
  for (const p of patch as JsonObject[]) {
    const id = p[key];
    const idx = result.findIndex((x) => isObject(x) && x[key] === id);
    if (p.$patch === 'delete') {
      if (idx >= 0) result.splice(idx, 1);
      continue;
    }
    if (idx >= 0) result[idx] = strategicMerge(result[idx]!, p, path);
    else result.push(strategicMerge(null, p, path));
  }
  // $setElementOrder says in which order the merged elements should end up.
  if (Array.isArray(order)) {
    const rank = new Map<Json, number>();
    order.forEach((o, i) => {
      if (isObject(o)) rank.set(o[key] ?? null, i);
    });
    const known = result.filter((x) => isObject(x) && rank.has(x[key] ?? null));
    known.sort((a, b) => rank.get((a as JsonObject)[key] ?? null)! - rank.get((b as JsonObject)[key] ?? null)!);
    let ki = 0;
    for (let i = 0; i < result.length; i++) {
      const x = result[i]!;
      if (isObject(x) && rank.has(x[key] ?? null)) result[i] = known[ki++]!;
    }
  }
  return result;
}

function stripDirectives(x: Json): Json {
  if (Array.isArray(x)) return x.map(stripDirectives);
  if (!isObject(x)) return x;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(x)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}
