// EndpointSlices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE. PORTS and ENDPOINTS each show up to three
// entries then `+ N more...`, `<unset>` when empty; a port without a number shows its name or `*`.

import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { listWithMore, since } from './format.js';
import { AGE_COLUMN, col, definePrinter, doc, NAME_COLUMN } from './printer.js';

const ES = 'io.k8s.api.discovery.v1.EndpointSlice';

export const endpointSlicePrinter = definePrinter<EndpointSlice>({
  columns: [
    NAME_COLUMN,
    col('AddressType', 'string', doc(ES, 'addressType')),
    col('Ports', 'string', doc(ES, 'ports')),
    col('Endpoints', 'string', doc(ES, 'endpoints')),
    AGE_COLUMN,
  ],
  cells(es, { now }) {
    const ports = (es.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name !== undefined ? p.name : '*'));
    const addresses = (es.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return [es.metadata?.name ?? '', es.addressType ?? '', listWithMore(ports, 3), listWithMore(addresses, 3), since(es.metadata?.creationTimestamp, now)];
  },
});
