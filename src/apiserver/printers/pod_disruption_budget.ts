// PodDisruptionBudgets: NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE. The bound
// not set reads `N/A`.

import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { intOrString, since } from './format.js';
import { AGE_COLUMN, col, definePrinter, NAME_COLUMN } from './printer.js';

export const podDisruptionBudgetPrinter = definePrinter<PodDisruptionBudget>({
  columns: [
    NAME_COLUMN,
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  cells: (pdb, { now }) => [
    pdb.metadata?.name ?? '',
    pdb.spec?.minAvailable !== undefined ? intOrString(pdb.spec.minAvailable) : 'N/A',
    pdb.spec?.maxUnavailable !== undefined ? intOrString(pdb.spec.maxUnavailable) : 'N/A',
    pdb.status?.disruptionsAllowed ?? 0,
    since(pdb.metadata?.creationTimestamp, now),
  ],
});
