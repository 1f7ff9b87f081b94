// Services: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, wide SELECTOR.
//
// EXTERNAL-IP depends on the type: spec.externalIPs for ClusterIP and NodePort (else `<none>`),
// the load balancer's addresses (sorted, deduplicated) plus externalIPs for LoadBalancer, and
// `<pending>` while no address is assigned; the external name for ExternalName. PORT(S) reads
// `80/TCP`, or `80:30080/TCP` when a node port is allocated.

import type { LoadBalancerStatus, Service } from 'kubernetes-types/core/v1.js';
import { formatLabelMap, NONE, PENDING, since, UNKNOWN } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

/** Ingress points of a load balancer: IPs, else hostnames, sorted and unique, comma-joined. */
export function loadBalancerAddresses(lb: Pick<LoadBalancerStatus, 'ingress'> | undefined): string {
  const set = new Set<string>();
  for (const i of lb?.ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

function externalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : NONE;
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb !== '' ? lb : PENDING;
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return UNKNOWN;
  }
}

function ports(svc: Service): string {
  const list = (svc.spec?.ports ?? []).map((p) => {
    const protocol = p.protocol ?? 'TCP';
    return p.nodePort ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
  });
  return list.length > 0 ? list.join(',') : NONE;
}

const SPEC = CORE + 'ServiceSpec';

export const servicePrinter = definePrinter<Service>({
  columns: [
    NAME_COLUMN,
    col('Type', 'string', doc(SPEC, 'type')),
    col('Cluster-IP', 'string', doc(SPEC, 'clusterIP')),
    col('External-IP', 'string', doc(SPEC, 'externalIPs')),
    col('Port(s)', 'string', doc(SPEC, 'ports')),
    AGE_COLUMN,
    col('Selector', 'string', doc(SPEC, 'selector'), 1),
  ],
  cells(svc, { now }) {
    // clusterIPs[0] and clusterIP are kept in sync by the API; an ExternalName service has neither.
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || NONE;
    return [
      svc.metadata?.name ?? '',
      svc.spec?.type ?? 'ClusterIP',
      clusterIP,
      externalIP(svc),
      ports(svc),
      since(svc.metadata?.creationTimestamp, now),
      formatLabelMap(svc.spec?.selector),
    ];
  },
});
