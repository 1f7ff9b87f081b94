// Test-only helpers for the endpoints and EndpointSlice controllers' tests: pods with IPs and
// readiness, nodes, services, over any ClientSource.
import type { Node, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { resourceRef, type ClientSource, type ResourceClient } from '../../client/resource_client.js';

export interface Clients {
  pods: ResourceClient<Pod>;
  nodes: ResourceClient<Node>;
  services: ResourceClient<Service>;
}

export function clients(source: ClientSource): Clients {
  return {
    pods: source.resource<Pod>(resourceRef('', 'v1', 'pods')),
    nodes: source.resource<Node>(resourceRef('', 'v1', 'nodes')),
    services: source.resource<Service>(resourceRef('', 'v1', 'services')),
  };
}

export async function addNode(c: Clients, name: string, zone?: string): Promise<void> {
  await c.nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: zone ? { 'topology.kubernetes.io/zone': zone } : {} } });
}

export interface PodSpecLite {
  name: string;
  ip: string;
  ready?: boolean;
  labels?: Record<string, string>;
  node?: string;
  /** Named container ports: name → port. */
  ports?: Record<string, number>;
  namespace?: string;
  hostname?: string;
  subdomain?: string;
}

export async function addPod(c: Clients, p: PodSpecLite): Promise<Pod> {
  const ns = p.namespace ?? 'default';
  const created = await c.pods.create(ns, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: ns, labels: p.labels ?? { app: 'web' } },
    spec: {
      nodeName: p.node ?? 'n1',
      ...(p.hostname ? { hostname: p.hostname } : {}),
      ...(p.subdomain ? { subdomain: p.subdomain } : {}),
      containers: [{ name: 'c', image: 'x', ports: Object.entries(p.ports ?? { http: 8080 }).map(([name, containerPort]) => ({ name, containerPort })) }],
    },
  });
  return setReady(c, created, p.ready ?? true, p.ip);
}

export async function setReady(c: Clients, pod: Pod, ready: boolean, ip?: string): Promise<Pod> {
  const ns = pod.metadata?.namespace ?? 'default';
  const cur = await c.pods.get(ns, pod.metadata?.name ?? '');
  const podIP = ip ?? cur.status?.podIP;
  const now = new Date().toISOString();
  return c.pods.updateStatus(ns, {
    ...cur,
    status: {
      ...cur.status,
      phase: 'Running',
      podIP,
      podIPs: podIP ? [{ ip: podIP }] : [],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
    },
  });
}

export async function addService(c: Clients, name: string, opts: { selector?: Record<string, string>; ports?: ServicePort[]; publishNotReadyAddresses?: boolean; labels?: Record<string, string>; namespace?: string } = {}): Promise<Service> {
  const ns = opts.namespace ?? 'default';
  return c.services.create(ns, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      ...(opts.selector ? { selector: opts.selector } : {}),
      ports: opts.ports ?? [{ name: 'http', port: 80, targetPort: 'http' }],
      ...(opts.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
    },
  });
}
