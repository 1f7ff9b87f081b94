// NetworkPolicies: NAME POD-SELECTOR AGE.

import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import { formatLabelSelector, since } from './format.js';
import { AGE_COLUMN, col, definePrinter, doc, NAME_COLUMN } from './printer.js';

export const networkPolicyPrinter = definePrinter<NetworkPolicy>({
  columns: [NAME_COLUMN, col('Pod-Selector', 'string', doc('io.k8s.api.networking.v1.NetworkPolicySpec', 'podSelector')), AGE_COLUMN],
  // podSelector is required, and {} selects every pod: it prints as <none> like any empty selector.
  cells: (np, { now }) => [np.metadata?.name ?? '', formatLabelSelector(np.spec?.podSelector ?? {}), since(np.metadata?.creationTimestamp, now)],
});
