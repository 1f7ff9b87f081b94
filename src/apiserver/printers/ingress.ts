// Ingresses: NAME CLASS HOSTS ADDRESS PORTS AGE. HOSTS lists up to three rule hosts (`*` when
// none), ADDRESS the load balancer's ingress points, PORTS `80` or `80, 443` with TLS.

import type { Ingress, IngressRule } from 'kubernetes-types/networking/v1.js';
import { NONE, since } from './format.js';
import { AGE_COLUMN, col, definePrinter, NAME_COLUMN } from './printer.js';
import { loadBalancerAddresses } from './service.js';

function hosts(rules: readonly IngressRule[]): string {
  const MAX = 3;
  // Hosts are collected until three are shown; any rule seen after that makes it "+ N more...",
  // N counting rules (hostless ones included) beyond the first three, as upstream counts them.
  const shown: string[] = [];
  let more = false;
  for (const r of rules) {
    if (shown.length === MAX) more = true;
    if (!more && r.host) shown.push(r.host);
  }
  if (shown.length === 0) return '*';
  return more ? `${shown.join(',')} + ${rules.length - MAX} more...` : shown.join(',');
}

export const ingressPrinter = definePrinter<Ingress>({
  columns: [
    NAME_COLUMN,
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  cells: (ing, { now }) => [
    ing.metadata?.name ?? '',
    ing.spec?.ingressClassName ?? NONE,
    hosts(ing.spec?.rules ?? []),
    loadBalancerAddresses(ing.status?.loadBalancer),
    (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
    since(ing.metadata?.creationTimestamp, now),
  ],
});
