// What the endpoints, EndpointSlice and mirroring controllers share (upstream
// k8s.io/endpointslice/util and pkg/api/v1/pod helpers): which pods belong in a Service's
// endpoints, how a Service port resolves to a pod's port (named targetPorts are looked up per
// pod), which Services a pod change concerns, and the last-change-trigger-time bookkeeping.
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../api/labels.js';
import type { Informer } from '../../client/informer.js';
import { objectKey } from '../../client/resource_client.js';

export const ANNOTATION_LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
/** Set on Endpoints that are leader-election locks; the endpoints controllers never touch those. */
export const ANNOTATION_LEADER = 'control-plane.alpha.kubernetes.io/leader';

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Failed' || phase === 'Succeeded';
}

/** Upstream ShouldPodBeInEndpoints: not finished, has an IP, and not terminating unless asked. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && (pod.status?.podIPs ?? []).length === 0) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** A pod's hostname is published when its subdomain names the Service (headless DNS records). */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/** ClusterIP set and not None. */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/** Every IP of the pod (status.podIPs, or status.podIP when that is all there is). */
export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

/**
 * The container port a Service port reaches on this pod (upstream FindPort): a number targetPort
 * as is; a name looked up among the ports (same protocol) of the containers and of restartable
 * init containers (sidecars). undefined when the name is not found. An absent targetPort is the
 * port itself (the API server defaults it so).
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  const protocol = sp.protocol ?? 'TCP';
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/**
 * Whether the Service selects pods at all. A missing selector selects nothing (its endpoints are
 * managed by hand); an empty one is treated the same, since the API drops empty maps on the way
 * through as upstream's Go serialization does.
 */
export function hasSelector(svc: Service): boolean {
  return !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0;
}

export function selectsPod(svc: Service, pod: Pod): boolean {
  if (!hasSelector(svc)) return false;
  return selectorFromSet(svc.spec?.selector).matches(pod.metadata?.labels ?? {});
}

/** The Service keys (ns/name) whose selector matches the pod (upstream GetPodServiceMemberships). */
export function podServiceKeys(services: Informer<Service>, pod: Pod): Set<string> {
  const out = new Set<string>();
  for (const svc of services.list(pod.metadata?.namespace ?? '')) if (selectsPod(svc, pod)) out.add(objectKey(svc));
  return out;
}

/** Pods of the namespace that the Service selects. */
export function selectedPods(pods: Informer<Pod>, svc: Service): Pod[] {
  if (!hasSelector(svc)) return [];
  const sel = selectorFromSet(svc.spec?.selector);
  return pods.list(svc.metadata?.namespace ?? '').filter((p) => sel.matches(p.metadata?.labels ?? {}));
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
}

/**
 * Upstream podEndpointsChanged: [the pod changed in a way its endpoint shows (deletion, readiness,
 * IPs), its labels or hostname changed (Service membership)].
 */
export function podEndpointsChanged(oldPod: Pod, newPod: Pod): { podChanged: boolean; labelsChanged: boolean } {
  const labelsChanged =
    !sameLabels(oldPod.metadata?.labels, newPod.metadata?.labels) ||
    oldPod.spec?.hostname !== newPod.spec?.hostname ||
    oldPod.spec?.subdomain !== newPod.spec?.subdomain;
  if ((oldPod.metadata?.deletionTimestamp ?? '') !== (newPod.metadata?.deletionTimestamp ?? '')) return { podChanged: true, labelsChanged };
  if (isPodReady(oldPod) !== isPodReady(newPod)) return { podChanged: true, labelsChanged };
  const a = podIPs(oldPod);
  const b = podIPs(newPod);
  if (a.length !== b.length || a.some((ip, i) => ip !== b[i])) return { podChanged: true, labelsChanged };
  // Phase matters here too: a pod that finishes leaves its Services' endpoints.
  if (isPodTerminal(oldPod) !== isPodTerminal(newPod)) return { podChanged: true, labelsChanged };
  return { podChanged: false, labelsChanged };
}

/** Upstream GetServicesToUpdateOnPodChange. */
export function servicesToUpdateOnPodChange(services: Informer<Service>, oldPod: Pod, newPod: Pod): Set<string> {
  if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return new Set(); // resync
  const { podChanged, labelsChanged } = podEndpointsChanged(oldPod, newPod);
  if (!podChanged && !labelsChanged) return new Set();
  const current = podServiceKeys(services, newPod);
  if (!labelsChanged) return current;
  const old = podServiceKeys(services, oldPod);
  if (podChanged) return new Set([...current, ...old]);
  // Only membership changed: the services it joined or left.
  const out = new Set<string>();
  for (const k of current) if (!old.has(k)) out.add(k);
  for (const k of old) if (!current.has(k)) out.add(k);
  return out;
}

/** RFC 3339 with fractional seconds trimmed of trailing zeros (Go's RFC3339Nano). */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.000Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

interface ServiceTriggerState {
  pods: Map<string, number | undefined>;
  service: number | undefined;
}

/**
 * Upstream TriggerTimeTracker: the `last-change-trigger-time` of a Service's endpoints is the
 * earliest trigger not yet reflected — among pods whose Ready transition time changed since the
 * last sync and the Service's creation time (when it changed, i.e. on the first sync). undefined
 * when nothing new triggered the sync (the annotation is then removed on the next write).
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceTriggerState>();

  compute(svc: Service, pods: readonly Pod[]): number | undefined {
    const key = objectKey(svc);
    const prev = this.states.get(key);
    const next: ServiceTriggerState = { pods: new Map(), service: parseTime(svc.metadata?.creationTimestamp) };
    let min: number | undefined;
    const consider = (t: number | undefined): void => {
      if (t !== undefined && (min === undefined || t < min)) min = t;
    };
    for (const pod of pods) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const t = parseTime(ready?.lastTransitionTime);
      const name = pod.metadata?.name ?? '';
      next.pods.set(name, t);
      if (!prev || prev.pods.get(name) !== t) consider(t);
    }
    if (!prev || prev.service !== next.service) consider(next.service);
    this.states.set(key, next);
    return min;
  }

  deleteService(key: string): void {
    this.states.delete(key);
  }
}

/** Numeric comparison of resourceVersions (decimal strings); undefined when either is not a number. */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
