// Leases: NAME HOLDER AGE. HOLDER is empty while nobody holds the lease.

import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, definePrinter, doc, NAME_COLUMN } from './printer.js';

export const leasePrinter = definePrinter<Lease>({
  columns: [NAME_COLUMN, col('Holder', 'string', doc('io.k8s.api.coordination.v1.LeaseSpec', 'holderIdentity')), AGE_COLUMN],
  cells: (l, { now }) => [l.metadata?.name ?? '', l.spec?.holderIdentity ?? '', since(l.metadata?.creationTimestamp, now)],
});
