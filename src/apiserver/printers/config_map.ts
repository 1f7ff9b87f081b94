// ConfigMaps: NAME DATA AGE. DATA counts text and binary keys together.

import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

export const configMapPrinter = definePrinter<ConfigMap>({
  columns: [NAME_COLUMN, col('Data', 'string', doc(CORE + 'ConfigMap', 'data')), AGE_COLUMN],
  cells: (cm, { now }) => [
    cm.metadata?.name ?? '',
    Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length,
    since(cm.metadata?.creationTimestamp, now),
  ],
});
