// Scheduler configuration: profiles chosen by `spec.schedulerName`, each a set of plugins per
// extension point with score weights and per-plugin args, loadable from a
// KubeSchedulerConfiguration-like YAML file:
//
//   apiVersion: kubescheduler.config.k8s.io/v1
//   kind: KubeSchedulerConfiguration
//   percentageOfNodesToScore: 0          # 0 = adaptive, as upstream
//   profiles:
//   - schedulerName: bin-packing
//     plugins:
//       score:
//         disabled: [{name: NodeResourcesBalancedAllocation}]
//     pluginConfig:
//     - name: NodeResourcesFit
//       args: {scoringStrategy: {type: MostAllocated}}
//
// Plugin resolution (simplified from upstream): start from the default multiPoint list; apply
// `multiPoint` disabled/enabled; then at each extension point, keep the multiPoint plugins that
// implement it, remove that point's `disabled` (`*` removes all), and append its `enabled`
// (a plugin already present keeps its place and takes the new weight).

import { parse as parseYaml } from 'yaml';

export interface PluginRef {
  name: string;
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

export const EXTENSION_POINTS = [
  'preEnqueue', 'queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score',
  'reserve', 'permit', 'preBind', 'bind', 'postBind',
] as const;
export type ExtensionPoint = typeof EXTENSION_POINTS[number];

export type Plugins = { multiPoint?: PluginSet } & { [E in ExtensionPoint]?: PluginSet };

export interface PluginConfig {
  name: string;
  args?: Record<string, unknown>;
}

export interface ProfileConfig {
  schedulerName: string;
  percentageOfNodesToScore?: number;
  plugins?: Plugins;
  pluginConfig?: PluginConfig[];
}

export interface SchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  /** 0 or unset: adaptive (50% − nodes/125, at least 5%). */
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  profiles: ProfileConfig[];
}

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Upstream's default plugin set, in its order, with the default score weights. */
export const DEFAULT_MULTI_POINT: readonly PluginRef[] = [
  { name: 'SchedulingGates' },
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function defaultConfiguration(): SchedulerConfiguration {
  return { profiles: [{ schedulerName: DEFAULT_SCHEDULER_NAME }] };
}

/** Parses and validates a configuration document (YAML or JSON text). */
export function parseConfiguration(text: string): SchedulerConfiguration {
  const doc: unknown = parseYaml(text);
  if (typeof doc !== 'object' || doc === null) throw new ConfigError('scheduler configuration: expected a mapping');
  const o = doc as Record<string, unknown>;
  if (o.kind !== undefined && o.kind !== 'KubeSchedulerConfiguration') {
    throw new ConfigError(`scheduler configuration: unexpected kind ${String(o.kind)}`);
  }
  const profilesRaw = o.profiles ?? [{ schedulerName: DEFAULT_SCHEDULER_NAME }];
  if (!Array.isArray(profilesRaw)) throw new ConfigError('scheduler configuration: profiles must be a list');
  const cfg: SchedulerConfiguration = { profiles: [] };
  if (o.apiVersion !== undefined) cfg.apiVersion = String(o.apiVersion);
  if (o.kind !== undefined) cfg.kind = String(o.kind);
  cfg.percentageOfNodesToScore = optPercentage(o.percentageOfNodesToScore, 'percentageOfNodesToScore');
  if (o.podInitialBackoffSeconds !== undefined) cfg.podInitialBackoffSeconds = positive(o.podInitialBackoffSeconds, 'podInitialBackoffSeconds');
  if (o.podMaxBackoffSeconds !== undefined) cfg.podMaxBackoffSeconds = positive(o.podMaxBackoffSeconds, 'podMaxBackoffSeconds');
  const names = new Set<string>();
  for (const [i, p] of profilesRaw.entries()) {
    if (typeof p !== 'object' || p === null) throw new ConfigError(`profiles[${i}]: expected a mapping`);
    const pr = p as Record<string, unknown>;
    const schedulerName = pr.schedulerName === undefined ? DEFAULT_SCHEDULER_NAME : String(pr.schedulerName);
    if (names.has(schedulerName)) throw new ConfigError(`profiles[${i}].schedulerName: Duplicate value: "${schedulerName}"`);
    names.add(schedulerName);
    const prof: ProfileConfig = { schedulerName };
    const pct = optPercentage(pr.percentageOfNodesToScore, `profiles[${i}].percentageOfNodesToScore`);
    if (pct !== undefined) prof.percentageOfNodesToScore = pct;
    if (pr.plugins !== undefined) prof.plugins = pr.plugins as Plugins;
    if (pr.pluginConfig !== undefined) {
      if (!Array.isArray(pr.pluginConfig)) throw new ConfigError(`profiles[${i}].pluginConfig: must be a list`);
      prof.pluginConfig = pr.pluginConfig as PluginConfig[];
    }
    cfg.profiles.push(prof);
  }
  return cfg;
}

function optPercentage(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) throw new ConfigError(`${path}: must be an integer in [0, 100]`);
  return v;
}

function positive(v: unknown, path: string): number {
  if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(`${path}: must be greater than 0`);
  return v;
}

export interface ResolvedPlugin {
  name: string;
  weight: number;
}

/** The plugins of one extension point after merging defaults and the profile's sets. */
export function resolveExtensionPoint(
  profile: ProfileConfig, point: ExtensionPoint, implementsPoint: (name: string) => boolean,
): ResolvedPlugin[] {
  let multi: PluginRef[] = [...DEFAULT_MULTI_POINT];
  const mp = profile.plugins?.multiPoint;
  if (mp !== undefined) multi = applySet(multi, mp);
  let list: PluginRef[] = multi.filter((p) => implementsPoint(p.name));
  const set = profile.plugins?.[point];
  if (set !== undefined) list = applySet(list, set);
  return list.map((p) => ({ name: p.name, weight: p.weight === undefined || p.weight === 0 ? 1 : p.weight }));
}

function applySet(list: PluginRef[], set: PluginSet): PluginRef[] {
  let out = list;
  for (const d of set.disabled ?? []) {
    out = d.name === '*' ? [] : out.filter((p) => p.name !== d.name);
  }
  for (const e of set.enabled ?? []) {
    const i = out.findIndex((p) => p.name === e.name);
    if (i >= 0) out[i] = { name: e.name, weight: e.weight ?? out[i]!.weight };
    else out.push({ ...e });
  }
  return out;
}

export function pluginArgs(profile: ProfileConfig, name: string): Record<string, unknown> | undefined {
  return profile.pluginConfig?.find((c) => c.name === name)?.args;
}
