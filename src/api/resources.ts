// The table of built-in resources: the one place that says which group/version/kind/resource
// Capstan serves, how discovery describes it (short names, categories, verbs, subresources) and
// which OpenAPI definition holds its schema. Discovery, OpenAPI, schema checks and the registry all
// read this table; adding a resource is one `row(...)` line below.
//
// Verbs, short names, categories and subresources are the ones Kubernetes 1.32 reports, so that
// `kubectl api-resources` and tab completion look the same as against a real cluster.

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface SubresourceInfo {
  /** The path segment after the object's name, e.g. `status`, `scale`, `log`. */
  readonly name: string;
  /** The kind the subresource accepts/returns; may live in another group (Scale is autoscaling/v1). */
  readonly kind: string;
  /** Set only when the kind lives in a different group/version than the parent resource. */
  readonly group?: string;
  readonly version?: string;
  readonly verbs: readonly Verb[];
}

export interface ResourceInfo {
  /** API group; "" is the core (legacy) group served under /api. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The plural resource name used in URLs (`deployments`). */
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly Verb[];
  readonly subresources: readonly SubresourceInfo[];
  /** The OpenAPI definition name of the kind, e.g. `io.k8s.api.core.v1.Pod`. */
  readonly typeName: string;
  /** The OpenAPI definition of the list kind, or undefined when the resource cannot be listed. */
  readonly listTypeName?: string;
}

export interface GroupInfo {
  readonly name: string;
  /** Versions served, preferred first (as /apis lists them). */
  readonly versions: readonly string[];
  readonly preferredVersion: string;
}

// Verb sets. Kubernetes lists verbs sorted; keep these sorted too.
const ALL: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces cannot be deleted as a collection. */
const NO_COLLECTION: readonly Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const CREATE_ONLY: readonly Verb[] = ['create'];
const GET_PATCH_UPDATE: readonly Verb[] = ['get', 'patch', 'update'];
const PROXY: readonly Verb[] = ['create', 'delete', 'get', 'patch', 'update'];
const CONNECT: readonly Verb[] = ['create', 'get'];

// Subresource builders.
const status = (kind: string): SubresourceInfo => ({ name: 'status', kind, verbs: GET_PATCH_UPDATE });
const scale: SubresourceInfo = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: GET_PATCH_UPDATE };

/** The Go package of a group's types, which is how OpenAPI names their definitions. */
function definitionPackage(group: string, version: string): string {
  const pkg = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').replace(/\.authorization$/, '');
  return `io.k8s.api.${pkg}.${version}`;
}

interface RowOptions {
  ns?: boolean;
  short?: readonly string[];
  cat?: readonly string[];
  verbs?: readonly Verb[];
  sub?: readonly SubresourceInfo[];
  /** No list kind (create-only resources such as bindings). */
  noList?: boolean;
}

function row(groupVersion: string, kind: string, plural: string, o: RowOptions = {}): ResourceInfo {
  const slash = groupVersion.indexOf('/');
  const group = slash < 0 ? '' : groupVersion.slice(0, slash);
  const version = slash < 0 ? groupVersion : groupVersion.slice(slash + 1);
  const typeName = `${definitionPackage(group, version)}.${kind}`;
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: o.ns ?? false,
    shortNames: o.short ?? [],
    categories: o.cat ?? [],
    verbs: o.verbs ?? ALL,
    subresources: o.sub ?? [],
    typeName,
    listTypeName: o.noList ? undefined : `${typeName}List`,
  };
}

const NS = true;

/** Every built-in resource. Order within a group-version does not matter; discovery sorts. */
export const RESOURCES: readonly ResourceInfo[] = [
  // core/v1
  row('v1', 'Namespace', 'namespaces', {
    short: ['ns'], verbs: NO_COLLECTION,
    sub: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }, status('Namespace')],
  }),
  row('v1', 'Pod', 'pods', {
    ns: NS, short: ['po'], cat: ['all'],
    sub: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: CONNECT },
      { name: 'binding', kind: 'Binding', verbs: CREATE_ONLY },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: GET_PATCH_UPDATE },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: CREATE_ONLY },
      { name: 'exec', kind: 'PodExecOptions', verbs: CONNECT },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: CONNECT },
      { name: 'proxy', kind: 'PodProxyOptions', verbs: PROXY },
      status('Pod'),
    ],
  }),
  row('v1', 'ConfigMap', 'configmaps', { ns: NS, short: ['cm'] }),
  row('v1', 'Secret', 'secrets', { ns: NS }),
  row('v1', 'Service', 'services', {
    ns: NS, short: ['svc'], cat: ['all'],
    sub: [{ name: 'proxy', kind: 'ServiceProxyOptions', verbs: PROXY }, status('Service')],
  }),
  row('v1', 'ServiceAccount', 'serviceaccounts', {
    ns: NS, short: ['sa'],
    sub: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: CREATE_ONLY }],
  }),
  row('v1', 'Endpoints', 'endpoints', { ns: NS, short: ['ep'] }),
  row('v1', 'Event', 'events', { ns: NS, short: ['ev'] }),
  row('v1', 'Node', 'nodes', {
    short: ['no'],
    sub: [{ name: 'proxy', kind: 'NodeProxyOptions', verbs: PROXY }, status('Node')],
  }),
  row('v1', 'PersistentVolume', 'persistentvolumes', { short: ['pv'], sub: [status('PersistentVolume')] }),
  row('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', {
    ns: NS, short: ['pvc'], sub: [status('PersistentVolumeClaim')],
  }),
  row('v1', 'ResourceQuota', 'resourcequotas', { ns: NS, short: ['quota'], sub: [status('ResourceQuota')] }),
  row('v1', 'LimitRange', 'limitranges', { ns: NS, short: ['limits'] }),
  row('v1', 'PodTemplate', 'podtemplates', { ns: NS }),
  row('v1', 'ReplicationController', 'replicationcontrollers', {
    ns: NS, short: ['rc'], cat: ['all'], sub: [scale, status('ReplicationController')],
  }),
  row('v1', 'Binding', 'bindings', { ns: NS, verbs: CREATE_ONLY, noList: true }),

  // apps/v1
  row('apps/v1', 'Deployment', 'deployments', {
    ns: NS, short: ['deploy'], cat: ['all'], sub: [scale, status('Deployment')],
  }),
  row('apps/v1', 'ReplicaSet', 'replicasets', {
    ns: NS, short: ['rs'], cat: ['all'], sub: [scale, status('ReplicaSet')],
  }),
  row('apps/v1', 'StatefulSet', 'statefulsets', {
    ns: NS, short: ['sts'], cat: ['all'], sub: [scale, status('StatefulSet')],
  }),
  row('apps/v1', 'DaemonSet', 'daemonsets', { ns: NS, short: ['ds'], cat: ['all'], sub: [status('DaemonSet')] }),
  row('apps/v1', 'ControllerRevision', 'controllerrevisions', { ns: NS }),

  // batch/v1
  row('batch/v1', 'Job', 'jobs', { ns: NS, cat: ['all'], sub: [status('Job')] }),
  row('batch/v1', 'CronJob', 'cronjobs', { ns: NS, short: ['cj'], cat: ['all'], sub: [status('CronJob')] }),

  row('coordination.k8s.io/v1', 'Lease', 'leases', { ns: NS }),
  row('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', { ns: NS }),
  row('events.k8s.io/v1', 'Event', 'events', { ns: NS, short: ['ev'] }),
  row('scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses', { short: ['pc'] }),
  row('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', {
    ns: NS, short: ['pdb'], sub: [status('PodDisruptionBudget')],
  }),

  // autoscaling: v2 is preferred (listed first in GROUP_VERSION_ORDER below)
  row('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', {
    ns: NS, short: ['hpa'], cat: ['all'], sub: [status('HorizontalPodAutoscaler')],
  }),
  row('autoscaling/v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', {
    ns: NS, short: ['hpa'], cat: ['all'], sub: [status('HorizontalPodAutoscaler')],
  }),

  row('storage.k8s.io/v1', 'StorageClass', 'storageclasses', { short: ['sc'] }),

  row('rbac.authorization.k8s.io/v1', 'Role', 'roles', { ns: NS }),
  row('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', { ns: NS }),
  row('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles'),
  row('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings'),

  row('networking.k8s.io/v1', 'Ingress', 'ingresses', { ns: NS, short: ['ing'], sub: [status('Ingress')] }),
  row('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', { ns: NS, short: ['netpol'] }),
  row('networking.k8s.io/v1', 'IngressClass', 'ingressclasses'),
];

/**
 * Group versions in the order /apis lists them; within a group the first is the preferred
 * version. Groups missing here are appended in table order, so a new group still shows up.
 */
const GROUP_VERSION_ORDER: readonly string[] = [
  'v1',
  'apps/v1',
  'events.k8s.io/v1',
  'autoscaling/v2',
  'autoscaling/v1',
  'batch/v1',
  'networking.k8s.io/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'storage.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'coordination.k8s.io/v1',
  'discovery.k8s.io/v1',
];

/** `group/version`, or just `version` for the core group, as apiVersion fields spell it. */
export function groupVersionString(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The URL prefix a group version is served under: `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** Splits an apiVersion (`apps/v1`, `v1`) into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

// Indexes, built once at module load: lookups run on every request.
const byGvr = new Map<string, ResourceInfo>();
const byGvk = new Map<string, ResourceInfo>();
const byKind = new Map<string, ResourceInfo[]>();
const byShortName = new Map<string, ResourceInfo[]>();
const byGroupVersion = new Map<string, ResourceInfo[]>();

for (const r of RESOURCES) {
  const gv = groupVersionString(r.group, r.version);
  byGvr.set(`${gv}/${r.plural}`, r);
  byGvk.set(`${gv}/${r.kind}`, r);
  push(byKind, r.kind.toLowerCase(), r);
  for (const s of r.shortNames) push(byShortName, s, r);
  push(byGroupVersion, gv, r);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

const groupOrder: string[] = [...GROUP_VERSION_ORDER.filter((gv) => byGroupVersion.has(gv))];
for (const gv of byGroupVersion.keys()) if (!groupOrder.includes(gv)) groupOrder.push(gv);

const GROUPS: readonly GroupInfo[] = (() => {
  const groups = new Map<string, string[]>();
  for (const gv of groupOrder) {
    const { group, version } = parseApiVersion(gv);
    push(groups, group, version);
  }
  return [...groups].map(([name, versions]) => ({ name, versions, preferredVersion: versions[0] }));
})();

/** The resource served at group/version/plural (`lookupResource('apps', 'v1', 'deployments')`). */
export function lookupResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return byGvr.get(`${groupVersionString(group, version)}/${plural}`);
}

/** The resource whose kind is gvk. */
export function lookupKind(gvk: GroupVersionKind): ResourceInfo | undefined {
  return byGvk.get(`${groupVersionString(gvk.group, gvk.version)}/${gvk.kind}`);
}

/**
 * Resources with this kind in any group (case-insensitive), preferred versions first. `Event`
 * returns both core/v1 and events.k8s.io/v1, as a RESTMapper would.
 */
export function resourcesForKind(kind: string): readonly ResourceInfo[] {
  return sortPreferredFirst(byKind.get(kind.toLowerCase()) ?? []);
}

/** Resources with this short name (`deploy`, `po`), preferred versions first. */
export function resourcesForShortName(shortName: string): readonly ResourceInfo[] {
  return sortPreferredFirst(byShortName.get(shortName.toLowerCase()) ?? []);
}

/** Resources served in one group version, or [] when the group version is not served. */
export function resourcesInGroupVersion(group: string, version: string): readonly ResourceInfo[] {
  return byGroupVersion.get(groupVersionString(group, version)) ?? [];
}

/** Every API group, core ("") first, each with its versions (preferred first). */
export function apiGroups(): readonly GroupInfo[] {
  return GROUPS;
}

/** Every served group version in discovery order (`v1`, `apps/v1`, …). */
export function groupVersions(): readonly string[] {
  return groupOrder;
}

export function isPreferredVersion(r: ResourceInfo): boolean {
  const g = GROUPS.find((x) => x.name === r.group);
  return g?.preferredVersion === r.version;
}

function sortPreferredFirst(list: readonly ResourceInfo[]): readonly ResourceInfo[] {
  const rank = (r: ResourceInfo): number => groupOrder.indexOf(groupVersionString(r.group, r.version));
  return [...list].sort((a, b) => rank(a) - rank(b));
}
