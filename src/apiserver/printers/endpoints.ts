// Endpoints: NAME ENDPOINTS AGE. ENDPOINTS lists up to three `ip:port` pairs (bare IPs for a
// subset without ports), then `+ N more...`; `<none>` when there are no subsets.

import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { joinHostPort, NONE, since } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

const MAX = 3;

function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return NONE;
  const shown: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      // Headless services may publish addresses without ports.
      count += addresses.length;
      for (const a of addresses) if (shown.length < MAX) shown.push(a.ip);
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) if (shown.length < MAX) shown.push(joinHostPort(a.ip, p.port));
    }
  }
  const text = shown.join(',');
  return count > MAX ? `${text} + ${count - MAX} more...` : text;
}

export const endpointsPrinter = definePrinter<Endpoints>({
  columns: [NAME_COLUMN, col('Endpoints', 'string', doc(CORE + 'Endpoints', 'subsets')), AGE_COLUMN],
  cells: (ep, { now }) => [ep.metadata?.name ?? '', formatEndpoints(ep), since(ep.metadata?.creationTimestamp, now)],
});
