// A container's environment and argv, as the kubelet computes them before it asks the runtime to
// create the container: `envFrom` first, then `env` in order (later names win), each value with
// `$(VAR)` references to variables defined before it expanded; `valueFrom` reads ConfigMaps,
// Secrets, the pod's own fields and its resources. `command` and `args` are expanded against the
// finished environment. A missing ConfigMap, Secret or key that is not optional is a
// ConfigError: the container waits in CreateContainerConfigError until it appears.
import type { ConfigMap, Container, EnvVar, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../api/quantity.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads ConfigMaps and Secrets of the pod's namespace; undefined when it does not exist. */
export interface ConfigSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

/**
 * `$(NAME)` → the value when NAME is defined, left as is otherwise; `$$` → `$`, so `$$(NAME)`
 * stays a literal `$(NAME)`. The same rules as the kubelet's expansion.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end > i + 2) {
        const name = input.slice(i + 2, end);
        const v = lookup(name);
        out += v ?? `$(${name})`;
        i = end;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

function decodeSecret(s: Secret, key: string): string | undefined {
  if (s.data?.[key] !== undefined) return Buffer.from(s.data[key]!, 'base64').toString('utf8');
  return s.stringData?.[key];
}

/** `metadata.labels['app']` → the label; the paths a fieldRef may name. */
export function podFieldValue(pod: Pod, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((i) => i.ip).join(',');
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((i) => i.ip).join(',');
    default:
      throw new ConfigError(`unsupported fieldRef path ${JSON.stringify(path)}`);
  }
}

/** The downward API's `key="value"` lines, sorted by key. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/**
 * A resourceFieldRef: the container's limit or request, in units of `divisor` rounded up (as
 * upstream), with a missing limit falling back to the node's allocatable.
 */
export function resourceFieldValue(
  container: Container,
  ref: { resource: string; divisor?: string },
  allocatable: Record<string, string>,
): string {
  const [kind, name] = ref.resource.split('.', 2) as [string, string | undefined];
  if (!name || (kind !== 'limits' && kind !== 'requests')) throw new ConfigError(`unsupported resourceFieldRef ${JSON.stringify(ref.resource)}`);
  const fromSpec = (kind === 'limits' ? container.resources?.limits : container.resources?.requests)?.[name];
  const raw = fromSpec ?? (kind === 'limits' ? allocatable[name] : undefined) ?? '0';
  const value = Quantity.parse(String(raw));
  const divisor = Quantity.parse(ref.divisor ?? '1');
  if (divisor.isZero()) throw new ConfigError(`resourceFieldRef ${ref.resource}: divisor must not be zero`);
  // Millivalues keep cpu's fractions exact; round up as the kubelet does (e.g. 250m / 1 → 1).
  const v = BigInt(value.milliValue());
  const d = BigInt(divisor.milliValue());
  const q = (v + d - 1n) / d;
  return String(q);
}

export interface EnvContext {
  pod: Pod;
  container: Container;
  config: ConfigSource;
  /** The node's allocatable, for resourceFieldRef without a limit. */
  allocatable: Record<string, string>;
}

/** The container's environment, in order (a name defined twice keeps its last value, at its first place). */
export async function containerEnv(ctx: EnvContext): Promise<Array<[string, string]>> {
  const { pod, container, config } = ctx;
  const ns = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  const cms = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const cm = async (name: string): Promise<ConfigMap | undefined> => {
    if (!cms.has(name)) cms.set(name, await config.configMap(ns, name));
    return cms.get(name);
  };
  const secret = async (name: string): Promise<Secret | undefined> => {
    if (!secrets.has(name)) secrets.set(name, await config.secret(ns, name));
    return secrets.get(name);
  };

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const obj = await cm(from.configMapRef.name ?? '');
      if (!obj) {
        if (from.configMapRef.optional) continue;
        throw new ConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(obj.data ?? {})) env.set(prefix + k, v);
    } else if (from.secretRef) {
      const obj = await secret(from.secretRef.name ?? '');
      if (!obj) {
        if (from.secretRef.optional) continue;
        throw new ConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const k of Object.keys(obj.data ?? {})) env.set(prefix + k, decodeSecret(obj, k) ?? '');
    }
  }

  const lookup = (name: string): string | undefined => env.get(name);
  for (const v of container.env ?? []) {
    const value = await envValue(v, { ...ctx, cm, secret, lookup });
    if (value !== undefined) env.set(v.name, value);
  }
  return [...env.entries()];
}

async function envValue(
  v: EnvVar,
  ctx: EnvContext & {
    cm: (name: string) => Promise<ConfigMap | undefined>;
    secret: (name: string) => Promise<Secret | undefined>;
    lookup: (name: string) => string | undefined;
  },
): Promise<string | undefined> {
  if (v.valueFrom === undefined) return expand(v.value ?? '', ctx.lookup);
  const from = v.valueFrom;
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const obj = await ctx.cm(ref.name ?? '');
    if (!obj) {
      if (ref.optional) return undefined;
      throw new ConfigError(`configmap "${ref.name}" not found`);
    }
    const value = obj.data?.[ref.key] ?? (obj.binaryData?.[ref.key] !== undefined ? Buffer.from(obj.binaryData[ref.key]!, 'base64').toString('utf8') : undefined);
    if (value === undefined) {
      if (ref.optional) return undefined;
      throw new ConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
    }
    return value;
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const obj = await ctx.secret(ref.name ?? '');
    if (!obj) {
      if (ref.optional) return undefined;
      throw new ConfigError(`secret "${ref.name}" not found`);
    }
    const value = decodeSecret(obj, ref.key);
    if (value === undefined) {
      if (ref.optional) return undefined;
      throw new ConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
    }
    return value;
  }
  if (from.fieldRef) return podFieldValue(ctx.pod, from.fieldRef.fieldPath);
  if (from.resourceFieldRef) {
    const ref = from.resourceFieldRef;
    const target = ref.containerName
      ? [...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName)
      : ctx.container;
    if (!target) throw new ConfigError(`resourceFieldRef: container ${JSON.stringify(ref.containerName)} not found`);
    return resourceFieldValue(target, { resource: ref.resource, divisor: ref.divisor === undefined ? undefined : String(ref.divisor) }, ctx.allocatable);
  }
  return '';
}

/** command + args with `$(VAR)` expanded against the container's environment. */
export function containerArgv(container: Container, env: Array<[string, string]>): string[] {
  const m = new Map(env);
  const lookup = (name: string): string | undefined => m.get(name);
  return [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, lookup));
}
