// Secrets: NAME TYPE DATA AGE. DATA counts the keys of `data` (stringData is write-only).

import type { Secret } from 'kubernetes-types/core/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

export const secretPrinter = definePrinter<Secret>({
  columns: [NAME_COLUMN, col('Type', 'string', doc(CORE + 'Secret', 'type')), col('Data', 'string', doc(CORE + 'Secret', 'data')), AGE_COLUMN],
  cells: (s, { now }) => [
    s.metadata?.name ?? '',
    // Defaulting makes every stored secret typed; older objects read as the default type.
    s.type ?? 'Opaque',
    Object.keys(s.data ?? {}).length,
    since(s.metadata?.creationTimestamp, now),
  ],
});
