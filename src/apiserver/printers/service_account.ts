// ServiceAccounts: NAME SECRETS AGE. SECRETS counts the legacy token secret references.

import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

export const serviceAccountPrinter = definePrinter<ServiceAccount>({
  columns: [NAME_COLUMN, col('Secrets', 'string', doc(CORE + 'ServiceAccount', 'secrets')), AGE_COLUMN],
  cells: (sa, { now }) => [sa.metadata?.name ?? '', (sa.secrets ?? []).length, since(sa.metadata?.creationTimestamp, now)],
});
